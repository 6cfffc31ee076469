"""`python -m bot score` and `content check`, as an officer at a terminal uses them."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import content as content_package
from bot.cli import app
from content import load_content

runner = CliRunner()


def score(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["score", *args])
    return result.exit_code, result.output


def points(*values: int) -> str:
    return ",".join(str(v) for v in values)


def test_score_json_pass_and_fail_at_the_boundary() -> None:
    code, out = score(
        "--group", "residents", "--points", points(8, 8, 8, 8, 8, 8, 8, 8, 8, 8), "--json"
    )
    assert code == 0
    assert json.loads(out) == {"total": 80, "threshold": 80, "passed": True, "failed_rules": []}
    code, out = score(
        "--group", "residents", "--points", points(8, 8, 8, 8, 8, 8, 8, 8, 8, 7), "--json"
    )
    assert json.loads(out) == {
        "total": 79,
        "threshold": 80,
        "passed": False,
        "failed_rules": ["min_total"],
    }


def test_score_disadvantaged_and_low_indicator() -> None:
    _, out = score(
        "--group",
        "workers",
        "--points",
        points(7, 7, 7, 7, 7, 7, 7, 7, 7, 7),
        "--disadvantaged",
        "--json",
    )
    assert json.loads(out)["passed"] is True and json.loads(out)["threshold"] == 70
    _code, out = score(
        "--group", "officials", "--points", points(10, 10, 10, 10, 10, 10, 10, 10, 10, 4), "--json"
    )
    assert json.loads(out) == {
        "total": 94,
        "threshold": 80,
        "passed": False,
        "failed_rules": ["min_indicator"],
    }


def test_score_uses_the_communes_flag() -> None:
    units = load_content().units
    flagged = next(c for c in units.communes.values() if c.disadvantaged)
    code, out = score(
        "--group", "residents", "--points", points(*[7] * 10), "--commune", flagged.code, "--json"
    )
    assert code == 0 and json.loads(out)["threshold"] == 70


@pytest.mark.parametrize(
    "args",
    [
        ["--group", "residents", "--points", points(*[8] * 9)],
        ["--group", "residents", "--points", points(*[8] * 11)],
        ["--group", "residents", "--points", points(*[8] * 9, 11)],
        ["--group", "residents", "--points", points(*[8] * 9, -1)],
        ["--group", "residents", "--points", "8,8,8,8,8,8,8,8,8,x"],
        ["--group", "farmers", "--points", points(*[8] * 10)],
        ["--group", "residents", "--points", points(*[8] * 10), "--commune", "99999"],
    ],
)
def test_score_wrong_input_is_one_line_and_exit_2(args: list[str]) -> None:
    code, out = score(*args, "--json")
    assert code == 2
    assert len(out.strip().splitlines()) == 1 and out.startswith("error: ")


def test_content_check_passes_on_the_shipped_content() -> None:
    result = runner.invoke(app, ["content", "check"])
    assert result.exit_code == 0, result.output


def test_content_check_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(
        Path(content_package.__file__).parent,
        root,
        ignore=shutil.ignore_patterns("__pycache__", "*.py"),
    )
    group_file = root / "criteria" / "2023" / "residents.yaml"
    text = group_file.read_text(encoding="utf-8")
    lines = text.splitlines()
    line_no = next(n for n, line in enumerate(lines) if line.strip().startswith("points: 10"))
    lines[line_no] = lines[line_no].replace("points: 10", "points: 12")
    group_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["content", "check", str(root)])
    assert result.exit_code == 1
    assert f"residents.yaml:{line_no + 1} " in result.output
    assert "12" in result.output


def test_outbox_status_and_retry_dead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from storage import migrate
    from storage.db import create_engine, make_sessionmaker
    from storage.models import OutboxMessage, OutboxStatus, utcnow
    from storage.repositories import outbox

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)

    async def queue_two_one_dead() -> None:
        db = create_engine(url)
        async with make_sessionmaker(db)() as session, session.begin():
            await outbox.enqueue(
                session,
                [
                    outbox.NewMessage(None, "telegram", "1", "answer", {"text": "a"}),
                    outbox.NewMessage(None, "telegram", "2", "answer", {"text": "b"}),
                ],
                utcnow(),
            )
            first = await session.get_one(OutboxMessage, 1)
            first.status = OutboxStatus.DEAD
        await db.dispose()

    asyncio.run(queue_two_one_dead())
    status = runner.invoke(app, ["outbox", "status"])
    assert status.exit_code == 0
    assert "dead       1" in status.output and "pending    1" in status.output
    assert "oldest pending:" in status.output
    retried = runner.invoke(app, ["outbox", "retry-dead"])
    assert retried.exit_code == 0 and "requeued 1 messages" in retried.output
    assert "pending    2" in runner.invoke(app, ["outbox", "status"]).output


def test_units_and_officer_invites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'staff.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)

    added = runner.invoke(
        app, ["unit", "add", "--parent", "20242", "--name", "Tổ  5", "--kind", "village"]
    )
    assert added.exit_code == 0, added.output
    code = added.output.split("\t")[0]
    assert code.startswith("20242-") and "Tổ 5 (village), Phường Hải Châu" in added.output
    again = runner.invoke(
        app, ["unit", "add", "--parent", "20242", "--name", "Tổ 5", "--kind", "village"]
    )
    assert again.exit_code == 2 and "already has a unit" in again.output
    assert (
        runner.invoke(
            app, ["unit", "add", "--parent", "99999", "--name", "X", "--kind", "village"]
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(
            app, ["unit", "add", "--parent", "20242", "--name", "X", "--kind", "club"]
        ).exit_code
        == 2
    )
    assert f"{code}\tTổ 5 (village)" in runner.invoke(app, ["unit", "list"]).output

    invited = runner.invoke(app, ["officer", "invite", "--unit", code])
    assert invited.exit_code == 0 and "/officer " in invited.output and "start=o_" in invited.output
    assert runner.invoke(app, ["officer", "invite", "--unit", "20242-999"]).exit_code == 2
    assert runner.invoke(app, ["officer", "invite"]).exit_code == 2  # an officer needs a unit
    assert runner.invoke(app, ["officer", "invite", "--role", "admin"]).exit_code == 0
    assert runner.invoke(app, ["officer", "list"]).output == ""  # nobody has joined yet
    assert runner.invoke(app, ["officer", "revoke", "1"]).exit_code == 1

    invite_code = invited.output.split()[1]
    asyncio.run(_join(url, invite_code))
    listed = runner.invoke(app, ["officer", "list"]).output
    assert listed.startswith("1\tuser 1\tofficer\tcommune 20242\tunit 1")
    assert runner.invoke(app, ["officer", "revoke", "1"]).exit_code == 0
    assert runner.invoke(app, ["officer", "list"]).output == ""
    assert "revoked" in runner.invoke(app, ["officer", "list", "--all"]).output


async def _join(url: str, code: str) -> None:
    from storage.db import create_engine, make_sessionmaker
    from storage.models import User, utcnow
    from storage.repositories import staff

    db = create_engine(url)
    async with make_sessionmaker(db)() as session, session.begin():
        user = User(created_at=utcnow())
        session.add(user)
        await session.flush()
        assert await staff.redeem(session, code, user.id, utcnow()) is not None
    await db.dispose()
