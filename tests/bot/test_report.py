"""The annual report against a direct count: a few hundred generated citizens in random
states with digital-skills checks, every summary cell and every list row compared with what
plain Python counts."""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.annual import AnnualReport, UnknownScope, write_annual
from content import Content, load_content
from handlers.context import LOCAL_TZ
from handlers.i18n import Translator, load_catalogs
from storage.models import Assessment, Profile, SkillCheck, Unit, UnitPopulation, User
from tests.storage.factories import Sessions

YEAR = 2026
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NEXT_YEAR = datetime(YEAR, 12, 31, 17, 0, tzinfo=UTC)  # 1 January, midnight in Vietnam
HAI_CHAU = "20242"
STATES = ["draft", "submitted", "returned", "approved", "rejected"]
COMMUNITY = {"residents", "workers"}  # the adults ratio's groups in content/targets.yaml
UNITS = {HAI_CHAU: ["Thon A", "Thon B"]}  # ASCII names: every collation orders them alike
TYPED = ["Thon C", "To 2", None]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@dataclass
class Citizen:
    user_id: int
    name: str
    birth_year: int
    group: str
    commune: str
    unit_id: int | None
    place: str
    registered_at: datetime | None
    # (id, year, group, status, total, submitted_at, decided_at) of their assessment, if any
    assessment: tuple[int, int, str, str, int, datetime | None, datetime | None] | None
    # (id, finished_at, overall level) of their digital-skills checks
    checks: list[tuple[int, datetime | None, str | None]] = field(default_factory=list)


@dataclass
class Dataset:
    citizens: list[Citizen]
    units: dict[int, tuple[str, str]]  # id -> (commune, name)
    populations: dict[str, tuple[int | None, int | None]]  # this year's, by unit code


async def generate(sessions: Sessions, content: Content, n: int = 300) -> Dataset:
    rng = random.Random(2026)
    other = [c for c in content.units.communes if c != HAI_CHAU][:2]
    UNITS[other[0]] = ["To 1"]
    communes = [HAI_CHAU, *other, "99999"]  # the last is no commune of the province
    groups = [g.id for g in content.groups(YEAR)]
    start = datetime(YEAR, 1, 2, tzinfo=UTC)
    citizens: list[Citizen] = []
    async with sessions() as session, session.begin():
        units: dict[int, tuple[str, str]] = {}
        for commune, names in UNITS.items():
            for name in names:
                unit = Unit(commune_code=commune, name=name, kind="village", created_at=start)
                session.add(unit)
                await session.flush()
                units[unit.id] = (commune, name)
        for i in range(n):
            user = User(created_at=start)
            session.add(user)
            await session.flush()
            commune = rng.choices(communes, [10, 6, 4, 1])[0]
            choices = [u for u, (c, _) in units.items() if c == commune]
            unit_id = rng.choice(choices) if choices and rng.random() < 0.6 else None
            typed = None if unit_id else rng.choice(TYPED)
            group = rng.choice(groups)
            registered = rng.choices(
                [
                    start + timedelta(days=rng.randrange(300)),
                    datetime(2027, 1, 3, tzinfo=UTC),
                    None,
                ],
                [8, 1, 1],
            )[0]
            # Registered late on 31 December in Vietnam still counts for the year.
            if i == 0:
                registered = datetime(YEAR, 12, 31, 16, 30, tzinfo=UTC)
            profile = Profile(
                user_id=user.id,
                full_name=f"Nguyễn Văn {i:03d}",
                birth_year=rng.randint(1950, 2008),
                target_group=group,
                commune_code=commune,
                unit_id=unit_id,
                subunit_name=typed,
                consent_at=start,
                notice_version="2026-01",
                registered_at=registered,
            )
            session.add(profile)
            assessment = None
            if registered is not None and rng.random() < 0.85:
                status = rng.choice(STATES)
                year = YEAR if rng.random() < 0.9 else YEAR - 1
                # Some changed group since: the assessment counts under its own group.
                assessed_group = group if rng.random() < 0.85 else rng.choice(groups)
                submitted = None if status == "draft" else start + timedelta(hours=7 * i + 1)
                decided = (
                    submitted + timedelta(days=rng.randint(0, 30), hours=20)
                    if submitted and status != "submitted"
                    else None
                )
                row = Assessment(
                    user_id=user.id,
                    year=year,
                    criteria_set_id="vape-cdht-2023",
                    criteria_set_version="2023.1",
                    target_group=assessed_group,
                    status=status,
                    total=rng.randint(50, 100),
                    submitted_at=submitted,
                    decided_at=decided,
                )
                session.add(row)
                await session.flush()
                assessment = (row.id, year, assessed_group, status, row.total, submitted, decided)
            place = units[unit_id][1] if unit_id else (typed or "")
            citizens.append(
                Citizen(
                    user.id,
                    profile.full_name or "",
                    profile.birth_year or 0,
                    group,
                    commune,
                    unit_id,
                    place,
                    registered,
                    assessment,
                )
            )
        await check_skills(session, content, citizens)
        ids = {name: f"{c}-{u}" for u, (c, name) in units.items()}
        populations = {
            HAI_CHAU: (12_345, 2_000),
            ids["Thon B"]: (150, None),
            ids["To 1"]: (80, 10),
        }
        for code, (adults, staff) in populations.items():
            session.add(UnitPopulation(unit_code=code, year=YEAR, adults=adults, staff=staff))
        session.add(UnitPopulation(unit_code=other[0], year=YEAR - 1, adults=1, staff=1))
    return Dataset(citizens, units, populations)


async def check_skills(session: AsyncSession, content: Content, citizens: list[Citizen]) -> None:
    """Up to three checks for seven citizens in ten: finished in the year, after it or not
    at all, at any level. Two recognised citizens get the edge cases: a check at the last
    minute of the year in Vietnam then one at the first minute of the next, and two checks
    finished at the same moment (the later id wins)."""
    rng = random.Random(42)
    levels = [level.id for level in content.digital_skills.levels]
    start = datetime(YEAR, 1, 2, tzinfo=UTC)
    planned: dict[int, list[tuple[datetime | None, str | None]]] = {}
    for citizen in citizens:
        if rng.random() < 0.3:
            continue
        planned[citizen.user_id] = [
            (None, None)
            if rng.random() < 0.15
            else (
                rng.choice([start + timedelta(days=rng.randrange(360)), NEXT_YEAR]),
                rng.choice(levels),
            )
            for _ in range(rng.randint(1, 3))
        ]
    edge = [c.user_id for c in citizens if recognised(c)]
    last_minute = datetime(YEAR, 12, 31, 16, 59, tzinfo=UTC)
    planned[edge[0]] = [(last_minute, levels[-1]), (last_minute + timedelta(minutes=1), levels[0])]
    same = datetime(YEAR, 6, 1, tzinfo=UTC)
    planned[edge[1]] = [(same, levels[-1]), (same, levels[1])]
    by_user = {c.user_id: c for c in citizens}
    for user_id, checks in planned.items():
        for finished, overall in checks:
            row = SkillCheck(
                user_id=user_id,
                framework_version=content.digital_skills.version,
                overall=overall,
                started_at=start,
                finished_at=finished,
            )
            session.add(row)
            await session.flush()
            by_user[user_id].checks.append((row.id, finished, overall))


def recognised(citizen: Citizen) -> bool:
    a = citizen.assessment
    return a is not None and a[1] == YEAR and a[3] == "approved"


def skills(content: Content, citizens: list[Citizen], group: str | None) -> tuple[int, int]:
    """Recognised citizens whose latest check finished in the year reached the plan's
    "has digital skills" level, and its "proficient" level: counted one by one."""
    framework = content.digital_skills
    year_end = datetime(YEAR + 1, 1, 1, tzinfo=LOCAL_TZ)
    skilled = proficient = 0
    for c in citizens:
        if not recognised(c) or group not in (None, c.assessment and c.assessment[2]):
            continue
        done = [(at, id_, level) for id_, at, level in c.checks if at and at < year_end]
        if not done:
            continue
        _, _, latest = max(done)  # by finish time, then by id
        assert latest is not None
        rank = framework.rank(latest)
        skilled += rank >= framework.rank(framework.plan.has_digital_skills)
        proficient += rank >= framework.rank(framework.plan.proficient)
    return skilled, proficient


def tally(citizens: list[Citizen], group: str | None) -> list[int]:
    """Registered, submitted, approved, returned, rejected, pending: counted one by one."""
    year_end = datetime(YEAR + 1, 1, 1, tzinfo=LOCAL_TZ)
    registered = sum(
        1
        for c in citizens
        if c.registered_at and c.registered_at < year_end and group in (None, c.group)
    )
    states: Counter[str] = Counter(
        c.assessment[3]
        for c in citizens
        if c.assessment and c.assessment[1] == YEAR and group in (None, c.assessment[2])
    )
    submitted = sum(n for state, n in states.items() if state != "draft")
    return [
        registered,
        submitted,
        states["approved"],
        states["returned"],
        states["rejected"],
        states["submitted"],
    ]


def titled(citizens: list[Citizen], groups: set[str]) -> int:
    return sum(
        1
        for c in citizens
        if c.assessment
        and c.assessment[1] == YEAR
        and c.assessment[3] == "approved"
        and c.assessment[2] in groups
    )


def expected_ratio(
    data: Dataset, citizens: list[Citizen], code: str, index: int, groups: set[str]
) -> tuple[int, float] | None:
    """(figure, share) by the rule the sheet's note states."""
    if not code:  # the province: its communes' numerators and figures added up
        parts = [
            (share * figure, figure)
            for commune in {c.commune for c in citizens} | set(data.populations)
            if "-" not in commune
            for found in [
                expected_ratio(
                    data, [c for c in citizens if c.commune == commune], commune, index, groups
                )
            ]
            if found
            for figure, share in [found]
        ]
        total = sum(f for _, f in parts)
        return (total, sum(t for t, _ in parts) / total) if parts else None
    figure = data.populations.get(code, (None, None))[index]
    if figure is not None:
        return figure, titled(citizens, groups) / figure
    if "-" in code:
        return None
    parts = [
        (titled([c for c in citizens if c.unit_id == u], groups), f[index])
        for u, (commune, _) in data.units.items()
        if commune == code
        for f in [data.populations.get(f"{commune}-{u}", (None, None))]
        if f[index] is not None
    ]
    if not parts:
        return None
    return sum(f for _, f in parts), sum(t for t, _ in parts) / sum(f for _, f in parts)


def read_xlsx(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def table(rows: list[tuple[Any, ...]], first_header: str) -> tuple[tuple[Any, ...], list[tuple]]:
    """The header row and the rows under it, padded to the header's width, blanks as ""."""
    top = next(n for n, row in enumerate(rows) if row and row[0] == first_header)
    width = len(rows[top])
    return rows[top], [
        tuple("" if v is None else v for v in (*r, *[None] * (width - len(r))))
        for r in rows[top + 1 :]
    ]


async def make(db_url: str, content: Content, path: Path, unit: str | None = None) -> None:
    report = AnnualReport(content, Translator(load_catalogs(), "vi"), YEAR, NOW)
    await write_annual(db_url, report, unit, path)


def local(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def listed(data: Dataset, content: Content, status: str, scope: list[Citizen]) -> list[tuple]:
    groups = {g.id: g.title.vi for g in content.groups(YEAR)}
    chosen = [
        c for c in scope if c.assessment and c.assessment[1] == YEAR and c.assessment[3] == status
    ]
    at = 6 if status == "approved" else 5
    chosen.sort(key=lambda c: (c.commune, c.place, c.assessment[at], c.assessment[0]))  # type: ignore[index]
    communes = {code: commune.name for code, commune in content.units.communes.items()}
    return [
        (
            n,
            c.name,
            c.birth_year,
            groups[c.assessment[2]],  # type: ignore[index]
            c.place,
            communes.get(c.commune, c.commune),
            c.assessment[4],  # type: ignore[index]
            local(c.assessment[at]),  # type: ignore[index]
        )
        for n, c in enumerate(chosen, 1)
    ]


def as_dates(rows: list[tuple]) -> list[tuple]:
    return [(*r[:7], r[7].date() if isinstance(r[7], datetime) else r[7]) for r in rows]


async def test_every_summary_cell_equals_a_direct_count(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path)

    header, rows = table(read_xlsx(path)["Tổng hợp"], "Mã")
    assert header[:9] == (
        "Mã",
        "Đơn vị",
        "Nhóm đối tượng",
        "Đăng ký",
        "Đã nộp",
        "Đã công nhận",
        "Trả lại để sửa",
        "Không công nhận",
        "Chờ xác minh",
    )
    groups = {g.title.vi: g.id for g in content.groups(YEAR)}
    places: dict[str, list[Citizen]] = {"": data.citizens}
    for citizen in data.citizens:
        places.setdefault(citizen.commune, []).append(citizen)
        if citizen.unit_id:
            commune = data.units[citizen.unit_id][0]
            places.setdefault(f"{commune}-{citizen.unit_id}", []).append(citizen)
    seen = set()
    for row in rows:
        code, group = row[0], row[2]
        citizens = places.get(code, [])
        group_id = None if group == "Tất cả" else groups[group]
        assert list(row[3:9]) == tally(citizens, group_id), (code, group)
        seen.add(code)
        for index, start, ratio_groups in ((0, 9, COMMUNITY), (1, 12, {"officials"})):
            cells = row[start : start + 3]
            if group_id is not None:
                assert cells == ("", "", ""), (code, group)
                continue
            assert cells[2] == (0.6 if index == 0 else 0.8)  # the 2030 targets
            ratio = expected_ratio(data, citizens, code, index, ratio_groups)
            if ratio is None:
                assert cells[:2] == ("", ""), (code, group)
            else:
                assert cells[0] == ratio[0] and cells[1] == pytest.approx(ratio[1]), code
        approved = tally(citizens, group_id)[2]
        skilled, proficient = skills(content, citizens, group_id)
        assert row[15:21] == pytest.approx(
            (
                skilled,
                skilled / approved if approved else "",
                0.9 if group_id is None else "",  # the 2030 targets, on the row of all groups
                proficient,
                proficient / skilled if skilled else "",
                0.8 if group_id is None else "",
            )
        ), (code, group)
    # Every commune of the province is listed, citizens or not, and so is every unit.
    assert seen >= set(content.units.communes) | set(places)
    province = [r for r in rows if r[0] == "" and r[2] == "Tất cả"]
    assert len(province) == 1 and province[0][1] == content.units.province_name
    # The province's share adds up the communes with figures.
    hai_chau = expected_ratio(data, places[HAI_CHAU], HAI_CHAU, 0, COMMUNITY)
    other = next(c for c in UNITS if c != HAI_CHAU)
    to_1 = expected_ratio(data, places[other], other, 0, COMMUNITY)
    assert hai_chau and to_1
    assert province[0][9] == hai_chau[0] + to_1[0]
    # The data has every case: some recognised with skills, some proficient, some without.
    everyone = skills(content, data.citizens, None)
    assert 0 < everyone[1] < everyone[0] < tally(data.citizens, None)[2]


async def test_the_summary_states_how_digital_skills_are_counted(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    await generate(session_factory, content)
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path)

    summary = read_xlsx(path)["Tổng hợp"]
    header, _ = table(summary, "Mã")
    assert header[15:] == (
        "Đạt danh hiệu, có kỹ năng số",
        "Tỷ lệ người đạt danh hiệu có kỹ năng số",
        "Chỉ tiêu năm 2030",
        "Thành thạo kỹ năng số",
        "Tỷ lệ thành thạo trong số có kỹ năng số",
        "Chỉ tiêu năm 2030",
    )
    framework = content.digital_skills
    [note] = [r[0] for r in summary if r and r[0] and str(r[0]).startswith("Kỹ năng số:")]
    basic = framework.level(framework.plan.has_digital_skills).title.vi
    proficient = framework.level(framework.plan.proficient).title.vi
    assert f"Có kỹ năng số: mức “{basic}” trở lên" in note
    assert f"Thành thạo: mức “{proficient}” trở lên" in note
    assert ", ".join(level.title.vi for level in framework.levels) in note
    assert "đến hết ngày 31/12/2026" in note and "tự đánh giá" in note
    assert not any("chưa đánh giá kỹ năng số" in str(r[0]) for r in summary if r)


async def test_lists_in_the_associations_columns_and_order(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path)
    sheets = read_xlsx(path)
    assert list(sheets) == ["Tổng hợp", "Danh sách công nhận", "Danh sách chờ xác minh"]

    header, rows = table(sheets["Danh sách công nhận"], "STT")
    assert header == (
        "STT",
        "Họ và tên",
        "Năm sinh",
        "Nhóm đối tượng",
        "Thôn, tổ dân phố, đơn vị",
        "Xã, phường",
        "Điểm",
        "Ngày công nhận",
    )
    assert as_dates(rows) == listed(data, content, "approved", data.citizens)
    header, rows = table(sheets["Danh sách chờ xác minh"], "STT")
    assert header[6:] == ("Điểm tự đánh giá", "Ngày nộp")
    assert as_dates(rows) == listed(data, content, "submitted", data.citizens)
    assert rows, "the generated data has submissions waiting"


async def test_xlsx_formats_show_numbers_and_dates_the_vietnamese_way(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    await generate(session_factory, content)
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path)

    book = openpyxl.load_workbook(path)
    summary, recognised = book["Tổng hợp"], book["Danh sách công nhận"]
    hai_chau = next(r for r in summary.iter_rows() if r[0].value == HAI_CHAU)
    assert (hai_chau[3].number_format, hai_chau[9].value) == ("#,##0", 12_345)
    assert hai_chau[10].number_format == "0.0%" and hai_chau[3].font.b
    first = next(r for r in recognised.iter_rows() if r[0].value == 1)
    assert (first[7].number_format, first[2].number_format) == ("dd/mm/yyyy", "0")
    assert isinstance(first[7].value, datetime)
    assert recognised.freeze_panes == "A5" and recognised.auto_filter.ref.startswith("A4:H")
    assert summary["A3"].value == "Lập ngày 01/12/2026; số liệu tính đến lúc lập báo cáo."
    assert summary["A4"].value == "Hạn gửi báo cáo: 15/12/2026."


def percent(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".", ",")


def csv_sections(path: Path) -> list[list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    sections: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            sections[-1].append(row)
        else:
            sections.append([])
    return sections


async def test_a_communes_csv_holds_only_its_people_in_vietnamese_formats(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    path = tmp_path / "bao-cao.csv"
    await make(db_url, content, path, unit=HAI_CHAU)

    summary, recognised, waiting = csv_sections(path)
    assert summary[1] == ["Phạm vi: Phường Hải Châu"]
    rows = summary[next(n for n, r in enumerate(summary) if r[0] == "Mã") + 1 :]
    unit_codes = {f"{HAI_CHAU}-{u}" for u, (c, _) in data.units.items() if c == HAI_CHAU}
    assert {r[0] for r in rows} == {HAI_CHAU} | unit_codes
    total = next(r for r in rows if r[0] == HAI_CHAU and r[2] == "Tất cả")
    mine = [c for c in data.citizens if c.commune == HAI_CHAU]
    assert total[3:9] == [f"{n:,}".replace(",", ".") for n in tally(mine, None)]
    assert total[9] == "12.345"
    share = titled(mine, COMMUNITY) / 12_345
    assert total[10] == percent(share) and total[11] == "60,0%"
    skilled, proficient = skills(content, mine, None)
    assert total[15:21] == [
        str(skilled),
        percent(skilled / tally(mine, None)[2]),
        "90,0%",
        str(proficient),
        percent(proficient / skilled),
        "80,0%",
    ]
    expected = listed(data, content, "approved", mine)
    assert recognised[3:] == [
        [str(v) if not isinstance(v, date) else f"{v:%d/%m/%Y}" for v in row] for row in expected
    ]
    assert len(waiting) - 3 == len(listed(data, content, "submitted", mine))


async def test_a_units_report_holds_only_that_unit(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    unit_id = next(u for u, (_, name) in data.units.items() if name == "Thon B")
    code = f"{HAI_CHAU}-{unit_id}"
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path, unit=code)

    sheets = read_xlsx(path)
    _, rows = table(sheets["Tổng hợp"], "Mã")
    assert {r[0] for r in rows} == {code}
    mine = [c for c in data.citizens if c.unit_id == unit_id]
    total = next(r for r in rows if r[2] == "Tất cả")
    assert list(total[3:9]) == tally(mine, None)
    assert (total[15], total[18]) == skills(content, mine, None)
    assert total[9] == 150
    assert sheets["Tổng hợp"][1] == ("Phạm vi: Thon B, Phường Hải Châu",)
    _, recognised = table(sheets["Danh sách công nhận"], "STT")
    assert as_dates(recognised) == listed(data, content, "approved", mine)

    with pytest.raises(UnknownScope):
        await make(db_url, content, tmp_path / "x.xlsx", unit=f"{HAI_CHAU}-999")
    with pytest.raises(UnknownScope):
        await make(db_url, content, tmp_path / "x.xlsx", unit="99999")
