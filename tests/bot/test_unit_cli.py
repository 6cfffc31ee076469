"""`unit communes`: finding a commune's official code by its name, as an admin types it."""

from __future__ import annotations

from typer.testing import CliRunner

from bot.cli import app
from content import load_content

runner = CliRunner()


def lines(*args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["unit", "communes", *args])
    return result.exit_code, result.output.splitlines()


def test_every_commune_of_the_province_with_its_code() -> None:
    code, listed = lines()
    communes = load_content().units.communes
    assert code == 0
    assert listed == [f"{c}\t{communes[c].name}" for c in sorted(communes)]


def test_search_by_name_with_or_without_accents() -> None:
    for typed in ("Hải Châu", "hai chau", "HAI CHAU"):
        code, found = lines("--search", typed)
        assert code == 0 and found[0] == "20242\tPhường Hải Châu", typed
    # Inside a name: every commune whose name holds the text, before names merely alike.
    code, found = lines("--search", "dien ban")
    assert found[:4] == [
        "20551\tPhường Điện Bàn",
        "20557\tPhường Điện Bàn Bắc",
        "20569\tXã Điện Bàn Tây",
        "20579\tPhường Điện Bàn Đông",
    ]
    # A commune name from before the 2025 merger leads to today's commune.
    code, found = lines("--search", "Điện Hồng")
    assert code == 0 and any("(was Xã Điện Hồng" in line for line in found), found


def test_nothing_found_says_so() -> None:
    code, found = lines("--search", "Không Có Xã Này")
    assert code == 1 and "no commune of Thành phố Đà Nẵng matches" in found[0]
