"""The neutral vocabulary between channels and conversations: Event in, Reply out.

Channel adapters translate platform updates into `Event` and `Reply` into platform calls;
handlers never see a platform object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    TEXT = "text"
    BUTTON = "button"
    COMMAND = "command"
    FILE = "file"
    CONTACT = "contact"
    # Something we cannot read (a sticker, a voice note, a location).
    UNSUPPORTED = "unsupported"
    # The person blocked or unblocked the bot: no conversation, only whether we may write.
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"


class ReplyKind(StrEnum):
    """Delivery uses the kind for priority (answers first) and opt-out rules."""

    ANSWER = "answer"
    NOTICE = "notice"
    REMINDER = "reminder"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file the user sent: a platform reference, never the bytes."""

    ref: str
    mime: str = ""
    size: int = 0
    name: str = ""
    # "photo" for a picture the platform keeps as a photo: it can only be sent on as one.
    kind: str = "document"


@dataclass(frozen=True, slots=True)
class Event:
    channel: str
    external_user_id: str
    chat_id: str
    event_id: str
    kind: EventKind
    at: datetime
    text: str = ""
    payload: str = ""  # button payload: short, opaque and never trusted
    command: str = ""  # without the slash, lower case
    args: str = ""
    file: FileRef | None = None
    language_hint: str | None = None  # the platform's idea of the user's language

    @property
    def chat_key(self) -> tuple[str, str]:
        return (self.channel, self.external_user_id)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str
    # Where options are a numbered list: chosen by typing its words, never by a number (a
    # control beside a number question, a push's control that must not capture the typed
    # number meant for the question being answered).
    word: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    path: str = ""  # a local file to upload
    ref: str = ""  # or a platform file reference
    # or a document made when the message is sent, "<maker>:<argument>" (a certificate, a
    # report): see bot/documents/makers.py
    document: str = ""
    kind: str = "document"  # document | photo
    name: str = ""
    # For a made document, what to say instead on a channel that cannot carry files, in the
    # recipient's language, with a "{link}" field for a link to download it.
    instead: str = ""
    # The made document's bytes: filled in by delivery just before sending, never stored.
    content: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None
    kind: ReplyKind = ReplyKind.ANSWER
    to_user_id: int | None = None  # None: the user whose event caused it
    # With `to_user_id`: one of that person's own (channel, chat id) rather than the one
    # they used last (a warning to their other apps that one was just linked).
    to_chat: tuple[str, str] | None = None
    about_user_id: int | None = None  # a person it speaks of, erased along with them
    # Other people it names (the citizens in a pending list): erased along with any of them.
    mentions: tuple[int, ...] = ()
    # The answer may be a number of the person's own: channels that let people press a
    # button by typing its number must not read a typed number as a button here.
    number_answer: bool = False
    # The platform's id of a message of ours to replace with this one (a progress message
    # kept up to date), where the channel can edit; others send it as a new message.
    edit: str = ""

    def to_payload(self) -> dict[str, Any]:
        """What the outbox stores: the rendered reply, independent of any platform."""
        data: dict[str, Any] = {"text": self.text}
        if self.buttons:
            data["buttons"] = [[b.label, b.payload, *([1] if b.word else [])] for b in self.buttons]
        if self.number_answer:
            data["number_answer"] = True
        if self.edit:
            data["edit"] = self.edit
        if self.attachment:
            a = self.attachment
            data["attachment"] = {
                "path": a.path,
                "ref": a.ref,
                "document": a.document,
                "kind": a.kind,
                "name": a.name,
            }
            if a.instead:
                data["attachment"]["instead"] = a.instead
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any], kind: str = ReplyKind.ANSWER) -> Reply:
        att = data.get("attachment")
        return cls(
            text=data.get("text", ""),
            buttons=tuple(
                Button(label, payload, bool(word))
                for label, payload, *word in data.get("buttons", [])
            ),
            attachment=Attachment(**att) if att else None,
            kind=ReplyKind(kind),
            number_answer=data.get("number_answer", False),
            edit=data.get("edit", ""),
        )


@dataclass(slots=True)
class Outcome:
    """What processing one event produced (for callers that deliver right away)."""

    event: Event
    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False
