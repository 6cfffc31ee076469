"""A scripted console session, as a person at a terminal would type it: `python -m bot chat`
with piped stdin, in two separate processes (the second resumes where the first stopped)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

from content import load_content

ROOT = Path(__file__).resolve().parents[2]


def run_bot(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def script() -> tuple[list[str], list[str]]:
    """Registration and three answers; then the other seven and the submission."""
    # ... "hai chau", "1": the one commune of that name, confirmed.
    registration = ["/start", "1", "Nguyễn Văn An", "1970", "1", "hai chau", "1", "Tổ 3", "1"]
    answers = []
    for indicator in load_content().criteria_for("residents", date.today().year).indicators:
        if indicator.number_input is not None:
            answers.append(str(indicator.number_input.bands[-1].min))
        else:
            answers.append("1")  # the first option, by its number
    first = registration + answers[:3]
    second = ["/menu", "1", *answers[3:], "1", "1"]  # continue; ...; submit; confirm
    return first, second


def test_scripted_session_submits_an_assessment_across_two_processes(tmp_path: Path) -> None:
    db = tmp_path / "cdht.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    upgrade = run_bot(["db", "upgrade"], env)
    assert upgrade.returncode == 0, upgrade.stderr

    first, second = script()
    one = run_bot(["chat", "--as", "an"], env, "\n".join(first) + "\n")
    assert one.returncode == 0, one.stderr
    assert "THÔNG BÁO VỀ DỮ LIỆU CÁ NHÂN" in one.stdout
    assert "[1] Đồng ý" in one.stdout
    assert "Đăng ký xong" in one.stdout
    assert "Chỉ số 4/10" in one.stdout.split("Chỉ số 3/10")[-1]

    two = run_bot(["chat", "--as", "an"], env, "\n".join(second) + "\n")
    assert two.returncode == 0, two.stderr
    assert "Tiếp tục tự đánh giá" in two.stdout
    assert (
        "Chỉ số 4/10" in two.stdout.split("TRANG CHÍNH", 1)[1].split("Chỉ số 5/10")[0]
    )  # resumed at the fourth indicator
    assert "Đã nộp bản tự đánh giá năm" in two.stdout

    with sqlite3.connect(db) as conn:
        status, total, group = conn.execute(
            "SELECT status, total, target_group FROM assessments"
        ).fetchone()
        answers = conn.execute("SELECT count(*) FROM answers").fetchone()[0]
        name = conn.execute("SELECT full_name FROM profiles").fetchone()[0]
        unsent = conn.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()[0]
    assert (status, group, answers, name) == ("submitted", "residents", 10, "Nguyễn Văn An")
    assert total is not None and 0 <= total <= 100
    assert unsent == 0  # every reply was delivered to the terminal


def test_make_run_path_reaches_the_greeting(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    assert run_bot(["db", "upgrade"], env).returncode == 0
    shown = run_bot(["run"], env, "/start\n")
    assert shown.returncode == 0, shown.stderr
    assert "Xin chào" in shown.stdout
