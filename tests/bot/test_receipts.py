"""`paper receipts`: a unit's slips, eight to an A4 page, each with the person's name, the
code, the QR of the bot's link and how to type the code on Zalo (that printing again issues
fresh codes is tested with the action, in tests/handlers/test_claims.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.models import ChannelIdentity, Profile, User
from storage.repositories import staff
from tests.bot.test_certificate_print import seeded, text_of
from tests.bot.test_certificates import qr_codes
from tests.storage.factories import T0, Sessions

runner = CliRunner()
CODE = re.compile(r"\d{4} \d{4} \d{4}")


def person(name: str, unit_id: int, *, chat: str | None = None) -> User:
    user = User(locale="vi", created_at=T0, profile=None)
    user.profile = Profile(
        full_name=name,
        birth_year=1950,
        target_group="residents",
        commune_code="20242",
        unit_id=unit_id,
        consent_at=T0,
        consent_how="chat" if chat else "paper",
        notice_version="2026-01",
        registered_at=T0,
    )
    if chat:
        user.identities = [ChannelIdentity(channel="telegram", external_user_id=chat, chat_id=chat)]
    return user


def test_a_units_receipts_carry_each_persons_code_and_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def seed(sessions: Sessions) -> str:
        async with sessions() as session, session.begin():
            unit = await staff.add_unit(
                session, commune_code="20242", name="Thôn Phú Sơn", kind="village", now=T0
            )
            session.add_all([person(f"Người Số {n}", unit.id) for n in range(1, 10)])
            session.add(person("Đã Có Chat", unit.id, chat="42"))
            return unit.code

    unit = seeded(tmp_path, monkeypatch, seed)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "cdht_bot")
    out = tmp_path / "bien-nhan.pdf"

    done = runner.invoke(app, ["paper", "receipts", "--unit", unit, "--out", str(out)])

    assert done.exit_code == 0, done.output
    assert "9 receipts of Thôn Phú Sơn" in done.output
    pages = text_of(out.read_bytes())
    assert len(pages) == 2  # eight slips to a page
    text = "\n".join(pages)
    assert "Người Số 1, sinh năm 1950" in text and "Đã Có Chat" not in text
    first = CODE.findall(text)
    assert len(set(first)) == 9
    assert f'nhắn "nhan ho so {first[0]}"' in " ".join(text.split())  # how to type it on Zalo
    links = qr_codes(out.read_bytes())
    assert f"https://t.me/cdht_bot?start=claim-{first[0].replace(' ', '')}" in links

    whole = runner.invoke(app, ["paper", "receipts", "--commune", "20242", "--out", str(out)])
    assert "9 receipts of Phường Hải Châu" in whole.output, whole.output
    assert "Thôn Phú Sơn" in "\n".join(text_of(out.read_bytes()))  # each slip names its unit

    helped = runner.invoke(app, ["paper", "receipts", "--help"])
    assert "FRESH codes" in helped.output
