"""What a conversation step gets: the person, their state, a unit of work, a translator."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.support import NullTranslations
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from content.address import Address
from handlers.events import Attachment, Button, Event, Reply, ReplyKind
from handlers.i18n import LOCAL_TZ, Translator
from storage.models import Assessment, ChannelIdentity, Conversation, Profile, User
from storage.repositories import audit


@dataclass(frozen=True, slots=True)
class Settings:
    """The parts of the deployment's settings that conversations need."""

    notice_version: str = "2026-01"
    data_controller: str = "Hội Khuyến học thành phố Đà Nẵng"
    notice_digest_threshold: int = 20
    # Evidence files taken (handlers/flows/evidence_limits.py): extensions, and bytes each.
    evidence_types: frozenset[str] = frozenset(
        [
            "jpg",
            "jpeg",
            "png",
            "webp",
            "gif",
            "heic",
            "heif",
            "pdf",
            "doc",
            "docx",
            "xls",
            "xlsx",
            "ppt",
            "pptx",
            "odt",
            "ods",
            "odp",
        ]
    )
    evidence_max_bytes: int = 10 * 1024 * 1024
    # Keys the hashes of link codes (storage/repositories/links.py).
    link_code_key: bytes = b""
    # Where the web server answers, for the links the bot sends (the console's sign-in).
    site_url: str = "http://127.0.0.1:8080"


async def translators(
    session: AsyncSession,
    catalogs: Mapping[str, NullTranslations],
    user_ids: Iterable[int],
    address: Address,
    year: int,
) -> dict[int, Translator]:
    """Each person's language and form of address in `year`, with one query."""
    rows = await session.execute(
        select(User.id, User.locale, Profile.birth_year, Profile.target_group)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(list(user_ids)))
    )
    return {
        user_id: Translator(catalogs, locale, address.form_for(born, group, year))
        for user_id, locale, born, group in rows
    }


@dataclass
class Context:
    session: AsyncSession
    content: Content
    catalogs: Mapping[str, NullTranslations]
    settings: Settings
    event: Event
    now: datetime
    user: User
    identity: ChannelIdentity
    conversation: Conversation
    profile: Profile | None = None
    assessment: Assessment | None = None  # this year's, if any
    replies: list[Reply] = field(default_factory=list)
    audit_entries: list[audit.NewEntry] = field(default_factory=list)
    first_contact: bool = False  # the person's very first event: greet, whatever it says
    away: timedelta = timedelta(0)  # since the person's previous event
    deleted: bool = False  # the person's data is gone; nothing more may be written for them
    # The officer taking this person's conversation for them (handlers/flows/assist.py),
    # who is then the one acting: audit rows and answers name them.
    assisted_by: int | None = None
    numbered: bool = False  # the channel shows options as numbered lines, not buttons

    # -- language -------------------------------------------------------------------------
    @property
    def t(self) -> Translator:
        p = self.profile
        address = self.content.address.form_for(
            p.birth_year if p else None, p.target_group if p else None, self.year
        )
        return Translator(self.catalogs, self.user.locale, address)

    def _(self, message: str) -> str:
        return self.t._(message)

    async def translators_for(self, user_ids: list[int]) -> dict[int, Translator]:
        """How to speak to other people (officers, a citizen being told a decision), each in
        their own language, with one query."""
        return await translators(
            self.session, self.catalogs, user_ids, self.content.address, self.year
        )

    # -- time -------------------------------------------------------------------------------
    @staticmethod
    def year_of(moment: datetime) -> int:
        """The assessed year is the calendar year in Vietnam (data window 1 Jan–31 Dec)."""
        return moment.astimezone(LOCAL_TZ).year

    @property
    def year(self) -> int:
        return self.year_of(self.now)

    # -- replies ----------------------------------------------------------------------------
    def say(
        self,
        text: str,
        buttons: tuple[Button, ...] | list[Button] = (),
        kind: ReplyKind = ReplyKind.ANSWER,
        number_answer: bool = False,
        attachment: Attachment | None = None,
        about: int | None = None,
        mentions: tuple[int, ...] = (),
    ) -> None:
        """A reply to this person. `about`/`mentions`: the other people it names (a review
        screen's citizen, a list's), whose erasure erases it."""
        self.replies.append(
            Reply(
                text=text,
                buttons=tuple(buttons),
                kind=kind,
                number_answer=number_answer,
                attachment=attachment,
                about_user_id=about,
                mentions=mentions,
            )
        )

    def say_to(
        self,
        user_id: int,
        text: str,
        buttons: tuple[Button, ...] = (),
        attachment: Attachment | None = None,
        about: int | None = None,
    ) -> None:
        """A notice to someone else (by our user id); it goes to their own channel.
        `about`: the person it speaks of, whose erasure erases it."""
        self.replies.append(
            Reply(
                text=text,
                buttons=buttons,
                kind=ReplyKind.NOTICE,
                to_user_id=user_id,
                attachment=attachment,
                about_user_id=about,
            )
        )

    # -- state ------------------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        return self.conversation.data

    async def go(self, flow: str, step: str, **data: Any) -> None:
        """Move to a step and show its prompt."""
        self.conversation.flow = flow
        self.conversation.step = step
        self.conversation.data = dict(data)
        await steps.enter(self)

    def audit(
        self, action: str, subject: str | None = None, *, anonymous: bool = False, **details: Any
    ) -> None:
        """Note an action for the audit log (written with the batch). Details must never
        hold personal data; an anonymous entry does not name its actor."""
        actor = None if anonymous else (self.assisted_by or self.user.id)
        if self.assisted_by is not None:
            details = {**details, "for_user": self.user.id}
        self.audit_entries.append(audit.NewEntry(actor, action, subject, details))


StepFn = Callable[[Context], Awaitable[None]]
EventFn = Callable[[Context, Event], Awaitable[None]]


class _Registry:
    """(flow, step) -> the step's prompt and its input handler."""

    def __init__(self) -> None:
        self._enter: dict[tuple[str, str], StepFn] = {}
        self._handle: dict[tuple[str, str], EventFn] = {}
        self._classes: dict[tuple[str, str], type] = {}

    def step(self, flow: str, name: str) -> Callable[[type], type]:
        def register(cls: type) -> type:
            self._enter[(flow, name)] = cls.enter
            self._handle[(flow, name)] = cls.handle
            self._classes[(flow, name)] = cls
            return cls

        return register

    def known(self, flow: str, name: str) -> bool:
        return (flow, name) in self._enter

    async def enter(self, ctx: Context) -> None:
        await self._enter[(ctx.conversation.flow, ctx.conversation.step)](ctx)

    async def handle(self, ctx: Context, event: Event) -> None:
        await self._handle[(ctx.conversation.flow, ctx.conversation.step)](ctx, event)

    async def again(self, ctx: Context) -> None:
        """The current step once more after an aside (/help, /stop): a step with a long
        prompt (the summary) says in a line where the person is (its `brief(ctx)`) and shows
        its buttons; any other shows its prompt."""
        cls = self._classes[(ctx.conversation.flow, ctx.conversation.step)]
        brief = getattr(cls, "brief", None)
        line = brief(ctx) if brief is not None else None
        controls = await self.controls(ctx) if line is not None else None
        if line is None or controls is None:
            await self.enter(ctx)
            return
        buttons, number_answer = controls
        ctx.say(line, buttons, number_answer=number_answer)

    async def controls(self, ctx: Context) -> tuple[list[Button], bool] | None:
        """The current step's buttons (its `buttons(ctx)`, sync or async, if any) and
        whether it wants a number of the person's own (its optional `number_answer(ctx)`):
        what a short re-prompt shows again instead of the whole question. None for a step
        whose buttons are unknown or need more than the conversation (a review screen): it
        is shown whole."""
        cls = self._classes[(ctx.conversation.flow, ctx.conversation.step)]
        buttons = getattr(cls, "buttons", None)
        if getattr(cls, "shown_whole", False):  # a list to choose from is its own prompt
            return None
        if buttons is None or len(inspect.signature(buttons).parameters) != 1:
            return None
        shown = buttons(ctx)
        if inspect.isawaitable(shown):
            shown = await shown
        number_answer = getattr(cls, "number_answer", None)
        return list(shown), bool(number_answer and number_answer(ctx))


steps = _Registry()
