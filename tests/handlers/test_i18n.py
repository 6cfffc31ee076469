"""Every interface text in the code is in both catalogs, translated, with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.i18n import LOCALES, LOCALES_DIR, Translator, load_catalogs

ROOT = Path(__file__).resolve().parents[2]
FIELDS = re.compile(r"\{(\w*)\}")


def code_messages() -> set[str]:
    found = set()
    for folder in ("handlers", "bot"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")]
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_every_message_translated(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    entries = {m.id: m for m in catalog if m.id}
    missing = code_messages() - set(entries)
    assert not missing, f"run `make messages`: not in {locale}: {sorted(missing)[:5]}"
    for msgid in code_messages():
        entry = entries[msgid]
        assert entry.string, f"untranslated in {locale}: {msgid[:60]}"
        assert "fuzzy" not in entry.flags, f"fuzzy in {locale}: {msgid[:60]}"
        assert sorted(FIELDS.findall(entry.string)) == sorted(FIELDS.findall(msgid)), msgid


def test_translator_speaks_each_language() -> None:
    catalogs = load_catalogs()
    assert Translator(catalogs, "vi")._("Đồng ý") == "Đồng ý"
    assert Translator(catalogs, "en")._("Đồng ý") == "I agree"
    assert Translator(catalogs, "en-GB").locale == "en"
    assert Translator(catalogs, "fr").locale == "vi"
