"""Every interface text in the code is in both catalogs, translated, with the same fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.i18n import LOCALES, LOCALES_DIR, Translator, addressed, load_catalogs

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


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("Anh/Chị sinh năm nào?", "Ông/Bà sinh năm nào?"),
        ("Cảm ơn Anh/Chị. Anh/Chị bấm Tiếp tục.", "Cảm ơn ông/bà. Ông/Bà bấm Tiếp tục."),
        ('nếu chưa đúng, Anh/Chị bấm "Sửa"', 'nếu chưa đúng, ông/bà bấm "Sửa"'),
        ("Dòng một\n- Anh/Chị gửi ảnh", "Dòng một\n- Ông/Bà gửi ảnh"),
        ("1. anh/chị chọn", "1. Ông/Bà chọn"),
        ("TRANG CHÍNH: Anh/Chị chọn", "TRANG CHÍNH: ông/bà chọn"),
        ("DỮ LIỆU CỦA ANH/CHỊ", "DỮ LIỆU CỦA ÔNG/BÀ"),
        ("Anh/Chị của Anh/Chị", "Ông/Bà của ông/bà"),
    ],
)
def test_the_person_is_written_in_their_form_capitalised_where_a_sentence_starts(
    written: str, shown: str
) -> None:
    assert addressed(written, "ông/bà") == shown


def test_em_and_english() -> None:
    catalogs = load_catalogs()
    assert addressed("Vì Anh/Chị dưới 16 tuổi, cha mẹ của Anh/Chị", "em") == (
        "Vì em dưới 16 tuổi, cha mẹ của em"
    )
    assert Translator(catalogs, "en", "em")._("Đồng ý") == "I agree"
    # Staff surfaces (console, CLI) name no person: the text as written.
    assert Translator(catalogs, "vi")._("Trợ giúp cán bộ") == "Trợ giúp cán bộ"
    assert Translator(catalogs, "vi", "em").addressed("Anh/Chị") == "Em"
