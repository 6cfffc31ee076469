"""What each channel can show, declared once: senders render by these figures, never by a
platform name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_text: int  # characters in one text message
    max_caption: int  # characters of text riding on a file (0: files carry no text)
    # Tappable buttons; without them options are a numbered list answered by typing.
    buttons: bool
    uploads: bool  # files go up as bytes; otherwise only a photo by its public URL


TELEGRAM = Capabilities(max_text=4096, max_caption=1024, buttons=True, uploads=True)
# Zalo Bot Platform docs: sendMessage text and sendPhoto caption 1-2,000 characters; the photo
# is a URL, there is no document method and no keyboard.
ZALO_BOT = Capabilities(max_text=2000, max_caption=2000, buttons=False, uploads=False)
# Zalo OA consultation messages: text up to 2,000 characters (eSMS's "tin tư vấn" docs);
# query buttons on a template; a photo or a PDF is uploaded first, then sent; a file's message
# carries no text.
ZALO_OA = Capabilities(max_text=2000, max_caption=0, buttons=True, uploads=True)
