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
    province = runner.invoke(app, ["officer", "invite", "--role", "admin"])
    assert province.exit_code == 0 and "makes: admin of Thành phố Đà Nẵng" in province.output
    commune = runner.invoke(app, ["officer", "invite", "--role", "admin", "--unit", "20242"])
    assert "makes: admin of Phường Hải Châu" in commune.output  # a commune's admin
    unit_admin = runner.invoke(app, ["officer", "invite", "--role", "admin", "--unit", code])
    assert unit_admin.exit_code == 2 and "province or a commune" in unit_admin.output
    assert "makes: officer of Tổ 5, Phường Hải Châu" in invited.output
    listed_invites = runner.invoke(app, ["officer", "invites"]).output.splitlines()
    assert [line.split("\t")[1:3] for line in listed_invites] == [
        ["officer", "Tổ 5, Phường Hải Châu"],
        ["admin", "Thành phố Đà Nẵng"],
        ["admin", "Phường Hải Châu"],
    ]
    last = listed_invites[-1].split("\t")[0]
    assert runner.invoke(app, ["officer", "cancel-invite", last]).exit_code == 0
    assert runner.invoke(app, ["officer", "cancel-invite", last]).exit_code == 1
    assert len(runner.invoke(app, ["officer", "invites"]).output.splitlines()) == 2
    assert runner.invoke(app, ["officer", "list"]).output == ""  # nobody has joined yet
    assert runner.invoke(app, ["officer", "revoke", "1"]).exit_code == 1

    invite_code = invited.output.split()[1]
    asyncio.run(_join(url, invite_code))
    listed = runner.invoke(app, ["officer", "list"]).output
    assert listed.startswith("1\t(not registered)\tuser 1\tofficer\tTổ 5, Phường Hải Châu\t")
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


def test_broadcast_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import migrate
    from storage.db import create_engine, make_sessionmaker
    from tests.storage.factories import create_person

    url = f"sqlite+aiosqlite:///{tmp_path / 'broadcast.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("QUIET_HOURS", "21:00-07:00")
    migrate.upgrade(url)

    async def people() -> None:
        db = create_engine(url)
        sessions = make_sessionmaker(db)
        await create_person(sessions)
        await create_person(sessions, group="workers")
        await create_person(sessions, opted_out=True)
        await create_person(sessions, commune="20257")
        await db.dispose()

    asyncio.run(people())

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["broadcast", *args])
        return result.exit_code, result.output

    for wrong in (
        [],
        ["--text", "a", "--file", "b.txt"],
        ["--text", " "],
        ["--text", "a", "--group", "farmers"],
        ["--text", "a", "--unit", "99999"],
        ["--text", "a", "--unit", "20242-9"],
        ["--text", "a", "--status", "finished"],
        ["--text", "a", "--skills-level", "expert"],
        ["--text", "a", "--active-since", "hôm qua"],
    ):
        code, out = run("create", *wrong)
        assert code == 2 and out.startswith("error: "), (wrong, out)

    code, out = run("create", "--text", "Họp chi hội tối nay", "--unit", "20242")
    assert code == 0, out
    assert "broadcast 1 created (draft)" in out and "to: communes 20242" in out
    assert "recipients: 2 will receive it; 1 opted out and 0 unreachable" in out
    assert "Họp chi hội tối nay\n\nGõ /stop để ngừng nhận thông báo." in out
    message = tmp_path / "tin.txt"
    message.write_text("Thông báo từ tệp\n", encoding="utf-8")
    code, out = run("create", "--file", str(message), "--group", "workers", "--locale", "vi")
    assert code == 0 and "recipients: 1 will receive it" in out

    code, out = run("send", "1", "--at", "2099-03-10 22:00")
    assert code == 0, out
    assert "scheduled for 2099-03-10 22:00" in out
    assert "quiet hours (21:00-07:00): sending begins at 07:00" in out
    assert run("send", "1")[0] == 1  # no longer a draft
    assert run("pause", "1") == (0, "broadcast 1: scheduled -> paused\n")
    assert run("pause", "1")[0] == 1
    assert run("resume", "1") == (0, "broadcast 1: paused -> scheduled\n")
    assert run("cancel", "1") == (0, "broadcast 1: scheduled -> cancelled\n")
    assert run("resume", "9")[0] == 1

    code, out = run("status", "2")
    assert code == 0 and out.startswith("broadcast 2: draft; 0/1 done: sent 0")
    code, out = run("status", "1", "--follow")  # cancelled: the bar ends at once
    assert code == 0 and "cancelled: sent 0" in out
    lines = run("list")[1].splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["2", "draft"], ["1", "cancelled"]]
    assert lines[1].endswith("Họp chi hội tối nay")


def _figures(url: str) -> dict[tuple[str, int], tuple[int | None, int | None]]:
    from sqlalchemy import select

    from storage.db import create_engine, make_sessionmaker
    from storage.models import UnitPopulation

    async def read() -> dict[tuple[str, int], tuple[int | None, int | None]]:
        db = create_engine(url)
        async with make_sessionmaker(db)() as session:
            rows = await session.scalars(select(UnitPopulation))
            found = {(r.unit_code, r.year): (r.adults, r.staff) for r in rows}
        await db.dispose()
        return found

    return asyncio.run(read())


def test_unit_population_set_and_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'population.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    unit = runner.invoke(
        app, ["unit", "add", "--parent", "20242", "--name", "Tổ 5", "--kind", "village"]
    ).output.split("\t")[0]

    set_ = ["unit", "population", "--unit", "20242", "--year", "2026"]
    done = runner.invoke(app, [*set_, "--adults", "12000", "--staff", "300"])
    assert done.exit_code == 0, done.output
    assert runner.invoke(app, [*set_, "--staff", "320"]).exit_code == 0  # adults stay
    assert runner.invoke(app, [*set_, "--adults", "-1"]).exit_code == 2
    assert runner.invoke(app, [*set_]).exit_code == 2  # no figure given
    unknown = runner.invoke(
        app, ["unit", "population", "--unit", "20242-99", "--year", "2026", "--adults", "5"]
    )
    assert unknown.exit_code == 2 and "unknown unit" in unknown.output
    assert _figures(url) == {("20242", 2026): (12000, 320)}

    good = tmp_path / "figures.csv"
    good.write_text(
        f"unit_code,year,adults,staff\n{unit},2026,450,\n20242,2026,12500,310\n\n20257,2025,7,\n",
        encoding="utf-8",
    )
    imported = runner.invoke(app, ["unit", "population", "import", str(good)])
    assert imported.exit_code == 0 and "imported 3 rows" in imported.output, imported.output
    after = {
        ("20242", 2026): (12500, 310),
        (unit, 2026): (450, None),
        ("20257", 2025): (7, None),
    }
    assert _figures(url) == after

    for body, message in [
        ("unit_code,year,adults\n20242,2026,1\n", ":1: the header must be"),
        ("unit_code,year,adults,staff\n20242,2026,1,2\n20242,2026,x,2\n", ":3: adults must be"),
        ("unit_code,year,adults,staff\n20242,2026,1,2\n99999,2026,1,2\n", ":3: unknown commune"),
        (
            "unit_code,year,adults,staff\n20242,2026,1,2\n20242,2026,3,4\n",
            ":3: 20242 2026 is given",
        ),
        ("unit_code,year,adults,staff\n20242,1999,1,2\n", ":2: year 1999 is outside"),
        ("unit_code,year,adults,staff\n20242,2026,1\n", ":2: expected 4 fields"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(body, encoding="utf-8")
        failed = runner.invoke(app, ["unit", "population", "import", str(bad)])
        assert failed.exit_code == 2 and f"bad.csv{message}" in failed.output, failed.output
        assert _figures(url) == after  # nothing changed, not even the good first line


def test_report_annual_writes_the_file_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'report.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    report = ["report", "annual", "--year", "2026"]

    for name in ("bao-cao.xlsx", "bao-cao.csv"):
        done = runner.invoke(app, [*report, "--unit", "20242", "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
    assert (tmp_path / "bao-cao.xlsx").read_bytes()[:2] == b"PK"
    assert "Phạm vi: Phường Hải Châu" in (tmp_path / "bao-cao.csv").read_text("utf-8-sig")
    wrong = runner.invoke(app, [*report, "--out", str(tmp_path / "bao-cao.pdf")])
    assert wrong.exit_code == 2 and ".xlsx or .csv" in wrong.output
    unknown = runner.invoke(app, [*report, "--unit", "99999", "--out", str(tmp_path / "x.csv")])
    assert unknown.exit_code == 2 and "unknown commune" in unknown.output
    assert not (tmp_path / "x.csv").exists()


def test_changes_at_the_command_line_are_audited_with_who_ran_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("CDHT_AS", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "root")
    migrate.upgrade(url)

    unit = ["unit", "add", "--parent", "20242", "--name", "Tổ 5", "--kind", "village"]
    code = runner.invoke(app, ["--as", "lan", *unit]).output.split("\t")[0]
    set_ = ["unit", "population", "--unit", code, "--year", "2026", "--adults", "450"]
    assert runner.invoke(app, set_).exit_code == 0  # as the system account
    monkeypatch.setenv("CDHT_AS", "minh")
    created = runner.invoke(app, ["broadcast", "create", "--text", "Họp tổ tối nay"])
    assert created.exit_code == 0, created.output
    assert runner.invoke(app, ["broadcast", "cancel", "1"]).exit_code == 0
    assert runner.invoke(app, ["broadcast", "cancel", "1"]).exit_code == 1  # nothing changed
    assert runner.invoke(app, ["unit", "list"]).exit_code == 0  # a read: not audited

    listed = runner.invoke(app, ["audit", "list"])
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.splitlines()]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("cli:minh", "broadcast.cancelled", "broadcast:1"),
        ("cli:minh", "broadcast.created", "broadcast:1"),
        ("cli:root", "population.set", code),
        ("cli:lan", "unit.added", code),
    ]
    # The change went through the same action as the console's, which says from where.
    assert json.loads(rows[2][4]) == {"adults": 450, "year": 2026, "via": "cli"}

    def actions(*options: str) -> list[str]:
        out = runner.invoke(app, ["audit", "list", *options]).output
        return [line.split("\t")[2] for line in out.splitlines()]

    assert actions("--actor", "lan") == ["unit.added"]
    assert actions("--actor", "cli:root") == ["population.set"]
    assert actions("--subject", "broadcast:1") == ["broadcast.cancelled", "broadcast.created"]
    assert actions("--since", "2999-01-01") == []
    assert len(actions("--since", "2000-01-01")) == 4
    assert runner.invoke(app, ["audit", "list", "--since", "hôm qua"]).exit_code == 2
