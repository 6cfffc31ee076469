"""What each channel can show, and when it may write first, declared once: senders render by
these figures and delivery decides by them, never by a platform name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ReplyWindow:
    """A channel that lets the bot write freely only for a while after the person wrote.

    Within ``length`` of the person's last message the bot may send up to ``free_replies``
    replies (None: any number), each quoting that message; every new message from the person
    opens a fresh window. Anything else is a proactive message: sent only if ``proactive``
    (the platform allows it at a cost, drawn from the deployment's monthly budget), otherwise
    deferred until the person writes again.
    """

    length: timedelta
    free_replies: int | None = None
    proactive: bool = False


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_text: int  # characters in one text message
    max_caption: int  # characters of text riding on a file (0: files carry no text)
    # Tappable buttons; without them options are a numbered list answered by typing.
    buttons: bool
    uploads: bool  # files go up as bytes; otherwise only a photo by its public URL
    # A sent message can be replaced in place (a broadcast's progress); otherwise a message
    # that would be edited is sent once and left as it is.
    edits: bool = False
    reply_window: ReplyWindow | None = None  # None: the bot may write first at any time


TELEGRAM = Capabilities(max_text=4096, max_caption=1024, buttons=True, uploads=True, edits=True)
# Zalo Bot Platform docs: sendMessage text and sendPhoto caption 1-2,000 characters; the photo
# is a URL, there is no document method and no keyboard.
ZALO_BOT = Capabilities(max_text=2000, max_caption=2000, buttons=False, uploads=False)
# Zalo OA (help centre, zalooa.freshdesk.com articles 64000261136 and 64000263278): after a
# person writes, 8 free replies within 48 h, reset by each new message; through the Open API a
# message counts as a reply only when it quotes the person's message id. Anything else is a
# proactive ("chủ động") message: a verified OA's monthly quota, then paid.
OA_WINDOW = ReplyWindow(length=timedelta(hours=48), free_replies=8, proactive=True)
# Zalo OA consultation messages: text up to 2,000 characters (eSMS's "tin tư vấn" docs);
# query buttons on a template; a photo or a PDF is uploaded first, then sent; a file's message
# carries no text.
ZALO_OA = Capabilities(
    max_text=2000, max_caption=0, buttons=True, uploads=True, reply_window=OA_WINDOW
)

# Channel name -> capabilities, for the parts that know a channel only by name (the engine,
# which opens reply windows as people write).
BY_CHANNEL = {"telegram": TELEGRAM, "zalo_bot": ZALO_BOT, "zalo_oa": ZALO_OA}


def reply_windows() -> frozenset[str]:
    """The channels whose people's messages open a reply window."""
    return frozenset(name for name, c in BY_CHANNEL.items() if c.reply_window is not None)


def numbered_options() -> frozenset[str]:
    """The channels that show options as a numbered list, answered by typing."""
    return frozenset(name for name, c in BY_CHANNEL.items() if not c.buttons)
