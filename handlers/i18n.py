"""Interface texts: gettext catalogs read with Babel, plus locale-aware formatting.

Message ids are the Vietnamese texts (Vietnamese is the source of truth); the English
catalog translates them. Catalogs are compiled in memory from the ``.po`` files at start-up,
so there is no separate compile step whose output could go stale.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

import content
from content.address import PLACEHOLDER

LOCALES = ("vi", "en")
# Each language named in itself, as language pickers do.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
DEFAULT_LOCALE = "vi"
LOCALES_DIR = Path(content.__file__).parent / "locales"
DOMAIN = "messages"


class LocalizedText(Protocol):
    def get(self, locale: str) -> str: ...


def N_(message: str) -> str:
    """Marks a text for the catalogs where it is defined; it is translated where shown."""
    return message


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> dict[str, NullTranslations]:
    catalogs: dict[str, NullTranslations] = {}
    for locale in LOCALES:
        po_path = locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po_path.exists():
            catalogs[locale] = NullTranslations()
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        catalogs[locale] = Translations(buf, domain=DOMAIN)
    return catalogs


def normalize_locale(code: str | None) -> str:
    """Map a platform language code ("en-US", "vi") to one we have."""
    if not code:
        return DEFAULT_LOCALE
    base = code.split("-")[0].split("_")[0].lower()
    return base if base in LOCALES else DEFAULT_LOCALE


# Days and the assessed year are counted in Vietnam's time.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


_PLACEHOLDER = re.compile(rf"\b{re.escape(PLACEHOLDER)}\b", re.IGNORECASE)
# What may stand between a sentence's start and its first word: a list mark, a number, a
# quote or bracket, an emoji.
_LEAD = re.compile(r"[^\w]*|[^\w]*\d+[.)\]]\s*")


def _starts_sentence(before: str) -> bool:
    line = before.rsplit("\n", 1)[-1]
    return bool(_LEAD.fullmatch(line)) or line.rstrip(" \"'“«(").endswith((".", "!", "?", "…"))


def addressed(text: str, form: str) -> str:
    """A Vietnamese text with the person (written "Anh/Chị") as `form` (lower case, e.g.
    "ông/bà"): capitalised at the start of a sentence, in capitals in a heading, in lower
    case anywhere else."""

    def fill(match: re.Match[str]) -> str:
        if match.group().isupper():
            return form.upper()
        if _starts_sentence(text[: match.start()]):
            return "/".join(word[:1].upper() + word[1:] for word in form.split("/"))
        return form

    return _PLACEHOLDER.sub(fill, text)


class Translator:
    """Everything a conversation needs to speak one user's language, addressing them as
    `address` says (`content.address`; None: texts keep their written "Anh/Chị")."""

    def __init__(
        self, catalogs: Mapping[str, NullTranslations], locale: str, address: str | None = None
    ) -> None:
        self.locale = normalize_locale(locale)
        self._t = catalogs.get(self.locale) or NullTranslations()
        self.address = address

    def _(self, message: str) -> str:
        return self.addressed(self._t.gettext(message))

    def text(self, value: LocalizedText) -> str:
        """A content text (criteria, resources) in this user's language."""
        return self.addressed(value.get(self.locale))

    def addressed(self, text: str) -> str:
        """The person named in `text` as their address form, in Vietnamese."""
        if self.address is None or self.locale != "vi":
            return text
        return addressed(text, self.address)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: date | datetime) -> str:
        """The day in Vietnam; Vietnamese as people write it (24/11/2026), not CLDR's short
        form (24/11/26)."""
        if isinstance(value, datetime):
            value = value.astimezone(LOCAL_TZ).date()
        return format_date(
            value, format="dd/MM/yyyy" if self.locale == "vi" else "medium", locale=self.locale
        )
