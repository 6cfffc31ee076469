"""SQLAlchemy 2 models. The same models and migrations run on SQLite and PostgreSQL.

Relationships load with ``lazy="raise"``: under asyncio an implicit load is a bug, so every
query says what it loads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    column,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from content.text import normalize

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends (SQLite keeps no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# A partial index's condition, kept for PostgreSQL in its own slot. Given as
# ``postgresql_where`` here, it would have SQLAlchemy load its PostgreSQL dialect, about 2 MB
# of modules, into every process, SQLite's too, to check the argument's name;
# storage/db.py hands it to PostgreSQL when an engine for it is made.
PARTIAL_WHERE = "partial_where"


def partial_index(name: str, *columns: str, where: Any, unique: bool = False) -> Index:
    """An index of the rows that meet ``where`` only, on both backends."""
    return Index(name, *columns, unique=unique, sqlite_where=where, info={PARTIAL_WHERE: where})


def use_postgresql_partial_indexes() -> None:
    """Give the partial indexes their condition on PostgreSQL too (loading its dialect)."""
    for table in Base.metadata.tables.values():
        for index in table.indexes:
            if (where := index.info.get(PARTIAL_WHERE)) is not None:
                index.dialect_options["postgresql"]["where"] = where


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A decision taken back with a reason: waits for a decision again, like a submission.
    REOPENED = "reopened"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"
    # A broadcast's message kept back (the broadcast is paused, or it is quiet hours): not
    # claimed, and unlike a pending one it holds up no later message to its chat.
    HELD = "held"
    # Outside the reply window of a channel that has one, with no proactive budget left:
    # waits until the person writes again. Like a held one it holds up no later message.
    DEFERRED = "deferred"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


# Not yet sent, dead or cancelled: waiting, or claimed by a worker. As SQL with the values
# written out, for the partial index over these rows: a database uses such an index only for
# a query whose condition it can see implies the index's, which it cannot with parameters.
OUTBOX_UNFINISHED_SQL = f"status IN ('{OutboxStatus.PENDING}', '{OutboxStatus.SENDING}')"
OUTBOX_DEFERRED_SQL = f"status = '{OutboxStatus.DEFERRED}'"
OUTBOX_SENDING_SQL = f"status = '{OutboxStatus.SENDING}'"
CERTIFICATE_REVOKED_SQL = "revoked_at IS NOT NULL"
# Inbox updates neither processed nor set aside: those a claim reads.
INBOX_WAITING_SQL = "processed_at IS NULL AND dead_at IS NULL"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The interface language is not personal data and is needed before consent.
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[ChannelIdentity]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )
    profile: Mapped[Profile | None] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
        foreign_keys="Profile.user_id",
    )
    conversation: Mapped[Conversation | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class ChannelIdentity(Base):
    """One person may reach us on several channels."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the person last wrote from here, to the minute (handlers/engine.py): messages the
    # bot sends unasked go to the identity they used last.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the platform says we may not write to them (blocked, deactivated); cleared
    # when they come back.
    unreachable_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="identities", lazy="raise")


class LinkCode(Base):
    """A short one-time code that attaches another channel's identity to its person
    (`/link`). Only a keyed hash is kept, and only while it lives: a used code is deleted,
    an expired one when the next is issued. Wrong codes count against whoever sends them
    (storage/repositories/links.py); `wrong_guesses` counts this code's refused tries."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The channel it was shown on: sending it there again links nothing.
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    wrong_guesses: Mapped[int] = mapped_column(Integer, default=0)


class GuardianCode(Base):
    """The code a child under 16 passes on to a parent or guardian, who sends it from their
    own chat to consent (or to an officer, who records a signed paper form). Only a keyed
    hash is kept, until it is used or replaced."""

    __tablename__ = "guardian_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ClaimCode(Base):
    """The code on a paper or assisted record's receipt: sent from a chat with the person's
    birth year, it attaches that chat to the record (handlers/flows/claiming.py). Only a
    keyed hash is kept, until it is used or a new receipt replaces it; `wrong_guesses`
    counts wrong birth years given with it."""

    __tablename__ = "claim_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # The officer who issued it (printed receipts, or the end of assisted entry); None for
    # the server's command line.
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    wrong_guesses: Mapped[int] = mapped_column(Integer, default=0)


class Profile(Base):
    """Exists only once the person has consented to the data notice."""

    __tablename__ = "profiles"
    # The annual report counts registrations from the index alone.
    __table_args__ = (
        Index("ix_profiles_report", "commune_code", "unit_id", "target_group", "registered_at"),
        # The console's queue sorted by name, read a page at a time in that order.
        Index("ix_profiles_name", "name_key", "user_id"),
        # The same person twice (`person_key`): a page's duplicate hints, a probe each.
        Index("ix_profiles_person", "commune_code", "birth_year", "person_key"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    full_name: Mapped[str | None] = mapped_column(String(120))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    target_group: Mapped[str | None] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(8), index=True)
    subunit_name: Mapped[str | None] = mapped_column(String(120))
    # The unit they chose from the commune's list, if it has one; routes their submission.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Under 16: who consented for them and how: "chat" (the guardian, from their own chat,
    # with the code the child passed on) or "paper" (an officer recording a signed form).
    guardian_consent_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    guardian_consent_how: Mapped[str | None] = mapped_column(String(8))
    guardian_consent_at: Mapped[datetime | None]
    consent_at: Mapped[datetime]
    # How the person consented: "chat" (in their own chat), "paper" (a signed paper form an
    # officer entered) or "in_person" (beside an officer in assisted entry, who witnessed it).
    consent_how: Mapped[str] = mapped_column(String(12), default="chat", server_default="chat")
    consent_witness: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notice_version: Mapped[str] = mapped_column(String(16))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The name folded for search (no accents, lower case; "" for none), kept by
    # `_fold_name`: the console finds "Nguyễn Văn Ánh" from "nguyen van anh" on both
    # databases alike, and sorts by it.
    name_key: Mapped[str | None] = mapped_column(String(120))
    # The name as the duplicate rule compares people (`person_key`), kept by `_fold_name`.
    person_key: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship(
        back_populates="profile", lazy="raise", foreign_keys=[user_id]
    )

    @property
    def is_registered(self) -> bool:
        return self.registered_at is not None


class Conversation(Base):
    __tablename__ = "conversations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Counts saved changes. Concurrent writers are kept apart by locking the chat for the
    # transaction (BEGIN IMMEDIATE on SQLite, FOR UPDATE on PostgreSQL), not by a version
    # check: the ORM would then update conversations one statement at a time.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="conversation", lazy="raise")


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("user_id", "year"),
        # The annual report: one year's assessments in one state (its lists), and its counts
        # read from the index alone, without the rows' answers and notes.
        Index("ix_assessments_report", "year", "status", "user_id", "target_group"),
        # The console's queue: one year's state, oldest first, read a page at a time.
        Index("ix_assessments_queue", "year", "status", "submitted_at", "id", "user_id"),
        # A scope's people's assessments of a year, counted by state, group and source from
        # the index alone (the report's and the dashboard's counts, driven by the profiles).
        Index("ix_assessments_person", "user_id", "year", "status", "target_group", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    criteria_set_id: Mapped[str] = mapped_column(String(32))
    criteria_set_version: Mapped[str] = mapped_column(String(16))
    target_group: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AssessmentStatus.DRAFT, index=True)
    total: Mapped[int | None] = mapped_column(Integer)
    threshold: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    # The association's decision: who, when, and the reason given to the citizen.
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Returned for correction: only these indicators may change.
    reopened: Mapped[list[Any]] = mapped_column(default=list)
    # Points as last submitted, so a resubmission shows what changed.
    submitted_points: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The officer's changes at approval, {indicator id: {"points": n, "reason": text}};
    # the citizen's own answers stay as they gave them, `total` is the approved result.
    adjustments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where the self-assessment came from: "chat" (the citizen), "paper" (a form an officer
    # entered) or "assisted" (an officer took it with the citizen beside them). The report
    # counts each source once; whoever entered it may not also decide it.
    source: Mapped[str] = mapped_column(String(8), default="chat", server_default="chat")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The date written on a paper form (the assessment's own date, not the day it was typed).
    form_date: Mapped[date | None]

    answers: Mapped[list[Answer]] = relationship(
        back_populates="assessment",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
        order_by="Answer.indicator_id",
    )

    @property
    def is_editable(self) -> bool:
        return self.status in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)

    def may_change(self, indicator_id: str) -> bool:
        """A draft changes freely; a returned one only where the association asked."""
        if self.status == AssessmentStatus.RETURNED:
            return indicator_id in self.reopened
        return self.status == AssessmentStatus.DRAFT


class Answer(Base):
    __tablename__ = "answers"

    # The natural key: no generated id to read back, so new answers insert in one batch.
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    option_id: Mapped[str | None] = mapped_column(String(32))
    raw_value: Mapped[float | None]
    points: Mapped[int] = mapped_column(Integer)
    # Platform file references with mime and size; never the file itself.
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    # The officer who entered this answer (paper or assisted entry); None when the citizen did.
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="answers", lazy="raise")


class ProcessedEvent(Base):
    """Dedupe key of every inbound event: a redelivered event hits the unique key."""

    __tablename__ = "processed_events"
    __table_args__ = (
        UniqueConstraint("channel", "event_id"),
        # Old keys are deleted by age (storage/repositories/retention.py).
        Index("ix_processed_events_processed_at", "processed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(64))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A reply waiting for delivery. The address is copied in so that a farewell still
    reaches a person whose data was just deleted; such rows go once delivered."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_channel_chat_id_status", "channel", "chat_id", "status"),
        # The claim's order among unfinished messages: it reads the first few in this
        # order instead of sorting every waiting message (all of a broadcast) each time.
        partial_index(
            "ix_outbox_unfinished_channel_lane_id",
            "channel",
            "lane",
            "id",
            where=text(OUTBOX_UNFINISHED_SQL),
        ),
        # A broadcast's recipients: one message each, however often a batch is enqueued.
        # Partial, so that the other messages (most of them) cost these indexes nothing.
        partial_index(
            "uq_outbox_broadcast_id_user_id",
            "broadcast_id",
            "user_id",
            unique=True,
            where=column("broadcast_id").is_not(None),
        ),
        partial_index(
            "ix_outbox_broadcast_id_status",
            "broadcast_id",
            "status",
            where=column("broadcast_id").is_not(None),
        ),
        # Deferred messages by age, for their expiry: few, so the index costs little.
        partial_index(
            "ix_outbox_deferred_lane_created_at",
            "lane",
            "created_at",
            where=text(OUTBOX_DEFERRED_SQL),
        ),
        # The messages a worker holds, to hand back at once when it is found dead.
        partial_index(
            "ix_outbox_sending_claimed_by",
            "claimed_by",
            where=text(OUTBOX_SENDING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Whom a message to someone else is about (an officer's notice of a citizen's
    # submission): erasing that person erases these messages too.
    about_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    # Replies to a person's own action go before bulk messages (reminders, broadcasts).
    lane: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Sends that timed out after the request left: it may have arrived, so retry once only.
    unknown_outcomes: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # The worker (Worker.id) that claimed it last; no foreign key: a dead worker's row goes
    # while its messages stay.
    claimed_by: Mapped[str | None] = mapped_column(String(32))


class OutboxMention(Base):
    """A person a message names besides its subject (a pending list, a digest): erasing
    that person erases the message too."""

    __tablename__ = "outbox_mentions"

    outbox_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox.id", ondelete="CASCADE"),
        primary_key=True,
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Broadcast(Base):
    """One text to a segment of people, sent in batches through the outbox's bulk lane. The
    cursor is the last user id enqueued: a batch of messages and the cursor's advance commit
    together, so after a crash sending resumes with no one skipped and no one twice."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: made at the server's command line.
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # storage.repositories.segments.Segment as JSON; for an officer, always within their scope.
    segment: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.DRAFT, index=True)
    send_at: Mapped[datetime | None]
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The segment's size when sending began (people who join later may add a few).
    total: Mapped[int | None] = mapped_column(Integer)
    # Every recipient has a message (pending or finished); only delivery remains.
    enqueued_at: Mapped[datetime | None]
    # The chat that follows its progress: one message, edited as sending goes on. Outbox ids
    # of that message and of its latest edit, and the platform's id of the message.
    progress_channel: Mapped[str | None] = mapped_column(String(16))
    progress_chat_id: Mapped[str | None] = mapped_column(String(64))
    progress_outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_edit_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Unit(Base):
    """A unit under an official commune that admins create: a village or residential-group
    branch, an agency, an enterprise or a school. Its code is `<commune code>-<id>`."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("commune_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # One of the kinds in content/units/routing.yaml, which says whom the unit verifies.
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def code(self) -> str:
        return f"{self.commune_code}-{self.id}"


class StaffRole(StrEnum):
    OFFICER = "officer"  # verifies the citizens of one commune or unit
    ADMIN = "admin"  # everything, in the whole province or in one commune


class Staff(Base):
    """A person's role at the association, with its scope. Revoked roles are kept (dated)
    for the audit trail."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(8), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # Set by an admin for the only officer of a unit or commune: they may decide the paper
    # forms they entered themselves (there is no one else); ignored once a second officer
    # joins their scope.
    sole_allowed_at: Mapped[datetime | None]


class Invite(Base):
    """A one-time code that makes whoever sends it an officer (or admin). Only a hash of the
    code is kept: a database leak must not hand out roles."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(8))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class InboxUpdate(Base):
    """A raw platform update, stored before it is acknowledged; processed from here."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_id"),
        Index("ix_inbox_processed_at_id", "processed_at", "id"),
        # Dead letters are few: health asks for recent ones at every probe.
        partial_index(
            "ix_inbox_dead_at",
            "dead_at",
            where=column("dead_at").is_not(None),
        ),
        # The waiting updates, in order and by chat: a claim reads them in order and finds
        # whether each is its chat's first in one probe (storage/repositories/inbox.py,
        # next_batch), at a cost that follows the batch, not the backlog.
        partial_index(
            "ix_inbox_waiting",
            "id",
            where=text(INBOX_WAITING_SQL),
        ),
        partial_index(
            "ix_inbox_waiting_chat",
            "channel",
            "chat_key",
            "seq",
            where=text(INBOX_WAITING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(64))
    # Whose conversation it belongs to, and its place there: a chat's updates are processed
    # in the platform's order (Telegram's update ids are sequential), whatever order the
    # concurrent webhook requests arrived in.
    chat_key: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    # An update that could not be turned into an event (or whose event failed alone): set
    # aside with why, unprocessed, so that its chat and everyone else go on and it is kept
    # (never pruned) until someone retries or drops it.
    dead_at: Mapped[datetime | None]
    dead_reason: Mapped[str | None] = mapped_column(Text)


class ChannelPause(Base):
    """A platform told us to wait (HTTP 429): every worker of that channel waits."""

    __tablename__ = "channel_pauses"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    paused_until: Mapped[datetime]


class ChatWindow(Base):
    """A chat's reply window, on channels that have one (bot/channels/capabilities.py): when
    the person last wrote, the id of that message (what a reply quotes), and how many replies
    have gone since. Kept a while after it closes, then pruned with the raw updates."""

    __tablename__ = "reply_windows"
    __table_args__ = (Index("ix_reply_windows_last_inbound_at", "last_inbound_at"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime]
    quote_id: Mapped[str] = mapped_column(String(64))
    replies_used: Mapped[int] = mapped_column(Integer, default=0)


class ProactiveSpend(Base):
    """Proactive messages sent on a channel in a month (Vietnam time), shared by every
    delivery worker: each takes one only while the month's budget allows."""

    __tablename__ = "proactive_spend"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    used: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Who acted when it was not a user of the bot: the command line's operator, "cli:<name>"
    # (bot/cli/audit.py).
    actor_name: Mapped[str | None] = mapped_column(String(64), index=True)


class Certificate(Base):
    """Proof of the title. What it shows is copied at issue, so a later profile change does
    not alter an issued certificate; erasing the person erases it (verification then finds
    nothing)."""

    __tablename__ = "certificates"
    __table_args__ = (
        # The few revoked: the report's and the dashboard's counts read them whole, without
        # a pass over every certificate (storage/repositories/reports.py).
        partial_index(
            "ix_certificates_revoked",
            "assessment_id",
            where=text(CERTIFICATE_REVOKED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable: it is the verification URL's key.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    # The number printed for people, in issue order per province and year.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    commune_code: Mapped[str | None] = mapped_column(String(8))
    target_group: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The village, agency, enterprise or school the holder chose or typed: where a worker or
    # a pupil is certified.
    place: Mapped[str | None] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # Who revoked it: None for the server's command line (and for a person since erased).
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Re-issued with the same number when the holder corrects their name or birth year
    # (handlers/actions/profile.py): which issue this is, and when it was made.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reissued_at: Mapped[datetime | None]


class UnitPopulation(Base):
    """A unit's figures for the plan's ratios in one year: adults in learning families and
    communities, staff in learning units."""

    __tablename__ = "unit_populations"

    # A commune's official code, or a unit's code (`<commune code>-<id>`).
    unit_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    adults: Mapped[int | None] = mapped_column(Integer)
    staff: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JobRun(Base):
    """A scheduled job's run, claimed by inserting its key: whatever the number of workers
    and restarts, each (job, key) runs once, e.g. ("review.digest", "2026-11-24")."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(48), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # The worker running a long job (a Pass); its run is taken up as soon as that worker is
    # known to be gone, not only when the lease ends.
    claimed_by: Mapped[str | None] = mapped_column(String(32))


class Worker(Base):
    """A running bot process, known by its heartbeat. A process that stops beating (or whose
    pid is gone from its host) is dead: any live process deletes its row and hands back the
    messages and jobs it held, so a crash silences nobody for longer than a few seconds."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class SkillCheck(Base):
    """One digital-skills check. Answers are saved one by one, so a paused check resumes;
    a finished one keeps its levels and date: a retake shows progress, and the annual report
    counts title holders by their latest level."""

    __tablename__ = "skill_checks"
    __table_args__ = (Index("ix_skill_checks_user_id_finished_at", "user_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    framework_version: Mapped[str] = mapped_column(String(32))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question id -> points
    levels: Mapped[dict[str, Any]] = mapped_column(default=dict)  # area id -> level id
    overall: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class Recommendation(Base):
    """A learning resource suggested to a person for a weak indicator or skills area. Never
    suggested twice; done when they say they finished it; followed up once, later."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("user_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    resource_id: Mapped[str] = mapped_column(String(48))
    # Why: "indicator" or "area", and which.
    need_kind: Mapped[str] = mapped_column(String(16))
    need_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    # When to ask how it went; cleared once asked.
    follow_up_at: Mapped[datetime | None] = mapped_column(index=True)


class Push(Base):
    """A message the bot sent unasked (a reminder, a follow-up, a campaign), claimed by its
    key before it is queued: whatever the number of workers and restarts, each (person,
    kind, key) goes once; the dates give the weekly cap."""

    __tablename__ = "pushes"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "key"),
        Index("ix_pushes_user_id_sent_at", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAToken(Base):
    """A Zalo Official Account's OAuth tokens, one row per app. The refresh token is single
    use, so the pair is replaced together, by the one process that holds the refresh lease;
    ``version`` counts the replacements. Before the first exchange the row holds only the
    consent's PKCE verifier."""

    __tablename__ = "oa_tokens"

    app_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Who refreshes now, until when: a crashed refresher's lease simply runs out.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    code_verifier: Mapped[str | None] = mapped_column(String(128))
    # The last refresh's failure, cleared by the next success: what /healthz reports.
    error: Mapped[str | None] = mapped_column(Text)
    error_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


@event.listens_for(Profile, "before_insert")
@event.listens_for(Profile, "before_update")
def _fold_name(_mapper: Any, _connection: Any, profile: Profile) -> None:
    profile.name_key = normalize(profile.full_name) if profile.full_name else ""
    profile.person_key = person_key(profile.full_name)


def person_key(full_name: str | None) -> str:
    """A name as the duplicate rule compares two people's: folded (no accents or case) and
    without spaces, so "Nguyễn Thị Lan" and "nguyen thilan" are one name."""
    return normalize(full_name).replace(" ", "") if full_name else ""


# The counter of committed changes to what the console's figures count (`ChangeCounter`).
FIGURES = "figures"


class ChangeCounter(Base):
    """How many changes were made to a set of tables, counted by database triggers (so by
    whatever code made them, in the same transaction): figures counted over whole scopes
    are kept while their counter stands still (`storage.repositories.figures`)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class WebSignin(Base):
    """A one-time link into the web console, sent in a staff member's chat (`/web`). Only a
    hash of its token is kept; it works once, within minutes."""

    __tablename__ = "web_signins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser. The cookie holds the session id; the row only its hash (a leaked
    table opens no session). Every request re-reads the person's roles, so a revoked
    officer's sessions stop at once."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Sent back in every form and htmx request that changes something.
    csrf_token: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
