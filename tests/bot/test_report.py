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

from bot.documents.reports.annual import AnnualReport, UnknownScope, write_annual
from content import Content, load_content
from handlers.context import LOCAL_TZ
from handlers.i18n import Translator, load_catalogs
from storage.models import (
    Assessment,
    Certificate,
    Profile,
    SkillCheck,
    Unit,
    UnitPopulation,
    User,
)
from tests.storage.factories import Sessions

YEAR = 2026
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NEXT_YEAR = datetime(YEAR, 12, 31, 17, 0, tzinfo=UTC)  # 1 January, midnight in Vietnam
HAI_CHAU = "20242"
# "reopened": a decision taken back, waiting again, its certificate revoked with it.
STATES = ["draft", "submitted", "returned", "approved", "rejected", "reopened"]
WAITING = ("submitted", "reopened")
COMMUNITY = {"residents", "workers"}  # the adults ratio's groups in content/targets.yaml
UNITS = {HAI_CHAU: ["Thon A", "Thon B"]}  # ASCII names: every collation orders them alike
TYPED = ["Thon C", "To 2", None]
ASSOCIATION = "Hội Khuyến học thành phố Đà Nẵng"


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
    # (number, revoked_at, reason) of the certificate their approval issued
    certificate: tuple[str, datetime | None, str | None] | None = None
    source: str = "chat"  # of their assessment: chat, paper or assisted


SOURCES = ("chat", "paper", "assisted")


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
            assessment = certificate = None
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
                    source=SOURCES[i % 3],  # not drawn: the other figures stay as they were
                )
                session.add(row)
                await session.flush()
                assessment = (row.id, year, assessed_group, status, row.total, submitted, decided)
                if status in ("approved", "reopened"):
                    certificate = await certify(session, rng, row, profile, decided)
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
                    certificate=certificate,
                    source=SOURCES[i % 3],
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


async def certify(
    session: AsyncSession,
    rng: random.Random,
    assessment: Assessment,
    profile: Profile,
    decided: datetime | None,
) -> tuple[str, datetime | None, str | None]:
    """The certificate an approval issues; one in five is revoked later, some of them late on
    a day in Vietnam that is still the day before in UTC."""
    assert decided is not None
    number = f"48-{assessment.year}-{assessment.id:06d}"
    revoked = (
        decided + timedelta(days=3, hours=rng.choice([2, 20]))
        if rng.random() < 0.2 or assessment.status == "reopened"
        else None
    )
    reason = f"Lý do {assessment.id}" if revoked else None
    session.add(
        Certificate(
            code=f"C{assessment.id:011d}",
            number=number,
            assessment_id=assessment.id,
            user_id=profile.user_id,
            full_name=profile.full_name or "",
            birth_year=profile.birth_year,
            commune_code=profile.commune_code,
            target_group=assessment.target_group,
            year=assessment.year,
            total=assessment.total or 0,
            issued_at=decided,
            revoked_at=revoked,
            revoke_reason=reason,
        )
    )
    return number, revoked, reason


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


def revoked(citizen: Citizen) -> bool:
    """Approved, then the certificate revoked (a reopened one's counts as waiting)."""
    a, c = citizen.assessment, citizen.certificate
    return a is not None and a[3] == "approved" and c is not None and c[1] is not None


def recognised(citizen: Citizen) -> bool:
    a = citizen.assessment
    return a is not None and a[1] == YEAR and a[3] == "approved" and not revoked(citizen)


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
    """Registered, submitted, recognised, returned, rejected, pending, revoked: counted one
    by one."""
    year_end = datetime(YEAR + 1, 1, 1, tzinfo=LOCAL_TZ)
    registered = sum(
        1
        for c in citizens
        if c.registered_at and c.registered_at < year_end and group in (None, c.group)
    )
    states: Counter[str] = Counter(
        "revoked" if revoked(c) else c.assessment[3]
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
        states["submitted"] + states["reopened"],
        states["revoked"],
    ]


def titled(citizens: list[Citizen], groups: set[str]) -> int:
    return sum(1 for c in citizens if recognised(c) and c.assessment and c.assessment[2] in groups)


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
    """The header row and the rows of the table under it (up to the first blank row),
    padded to the header's width, blanks as ""."""
    top = next(n for n, row in enumerate(rows) if row and row[0] == first_header)
    width = len(rows[top])
    body = []
    for r in rows[top + 1 :]:
        if not r or all(v is None for v in r):
            break
        body.append(tuple("" if v is None else v for v in (*r, *[None] * (width - len(r)))))
    return rows[top], body


async def make(
    db_url: str, content: Content, path: Path, unit: str | None = None, year: int = YEAR
) -> None:
    report = AnnualReport(content, Translator(load_catalogs(), "vi"), year, NOW, ASSOCIATION)
    await write_annual(db_url, report, unit, path)


async def generated(
    sessions: Sessions, db_url: str, content: Content, folder: Path
) -> tuple[Dataset, Path]:
    """The generated citizens, and the province's report on them."""
    data = await generate(sessions, content)
    path = folder / "bao-cao.xlsx"
    await make(db_url, content, path)
    return data, path


def local(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


def listed(data: Dataset, content: Content, status: str, scope: list[Citizen]) -> list[tuple]:
    """The recognised (with their certificate's number) or the waiting, in the list's order."""
    groups = {g.id: g.title.vi for g in content.groups(YEAR)}
    chosen = [
        c
        for c in scope
        if c.assessment
        and c.assessment[1] == YEAR
        and c.assessment[3] in ((status,) if status == "approved" else WAITING)
        and not revoked(c)
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
            *([c.certificate[0]] if status == "approved" and c.certificate else []),
            c.assessment[4],  # type: ignore[index]
            local(c.assessment[at]),  # type: ignore[index]
        )
        for n, c in enumerate(chosen, 1)
    ]


def as_dates(rows: list[tuple]) -> list[tuple]:
    return [(*r[:-1], r[-1].date() if isinstance(r[-1], datetime) else r[-1]) for r in rows]


def places_of(data: Dataset) -> dict[str, list[Citizen]]:
    """The citizens of the province (""), of each commune and of each unit, by code."""
    places: dict[str, list[Citizen]] = {"": data.citizens}
    for citizen in data.citizens:
        places.setdefault(citizen.commune, []).append(citizen)
        if citizen.unit_id:
            commune = data.units[citizen.unit_id][0]
            places.setdefault(f"{commune}-{citizen.unit_id}", []).append(citizen)
    return places


# The first columns of every list.
PERSON = (
    "STT",
    "Họ và tên",
    "Năm sinh",
    "Nhóm đối tượng",
    "Thôn, tổ dân phố, đơn vị",
    "Xã, phường",
)
SHEETS = [
    "Tổng hợp",
    "Theo xã, phường",
    "Chi tiết",
    "Danh sách công nhận",
    "Danh sách chờ xác minh",
    "Đã thu hồi",
]


async def test_every_detail_cell_equals_a_direct_count(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data, path = await generated(session_factory, db_url, content, tmp_path)

    sheets = read_xlsx(path)
    assert list(sheets) == SHEETS
    header, rows = table(sheets["Chi tiết"], "Mã")
    assert header[:10] == (
        "Mã",
        "Đơn vị",
        "Nhóm đối tượng",
        "Đăng ký",
        "Đã nộp",
        "Đã công nhận",
        "Trả lại để sửa",
        "Không công nhận",
        "Chờ xác minh",
        "Đã thu hồi",
    )
    groups = {g.title.vi: g.id for g in content.groups(YEAR)}
    places = places_of(data)
    seen = set()
    for row in rows:
        code, group = row[0], row[2]
        citizens = places.get(code, [])
        group_id = None if group == "Tất cả" else groups[group]
        assert list(row[3:10]) == tally(citizens, group_id), (code, group)
        seen.add(code)
        for index, start, ratio_groups in ((0, 10, COMMUNITY), (1, 12, {"officials"})):
            cells = row[start : start + 2]
            ratio = None if group_id else expected_ratio(data, citizens, code, index, ratio_groups)
            if ratio is None:
                assert cells == ("", ""), (code, group)
            else:
                assert cells[0] == ratio[0] and cells[1] == pytest.approx(ratio[1]), code
        approved = tally(citizens, group_id)[2]
        skilled, proficient = skills(content, citizens, group_id)
        assert row[14:18] == pytest.approx(
            (
                skilled,
                skilled / approved if approved else "",
                proficient,
                proficient / skilled if skilled else "",
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
    assert province[0][10] == hai_chau[0] + to_1[0]
    # The data has every case: some recognised with skills, some proficient, some without;
    # some certificates revoked.
    everyone = skills(content, data.citizens, None)
    assert 0 < everyone[1] < everyone[0] < tally(data.citizens, None)[2]
    assert tally(data.citizens, None)[6] > 0


async def test_the_compact_summary_has_a_row_per_active_commune_and_groups_as_columns(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data, path = await generated(session_factory, db_url, content, tmp_path)

    header, rows = table(read_xlsx(path)["Theo xã, phường"], "STT")
    titles = [g.title.vi for g in content.groups(YEAR)]
    assert header == (
        "STT",
        "Mã",
        "Xã, phường",
        "Đăng ký",
        "Đã nộp",
        "Nộp qua trò chuyện",
        "Phiếu giấy",
        "Cán bộ hỗ trợ nhập",
        *(f"Công nhận: {title}" for title in titles),
        "Tổng số được công nhận",
        "Chờ xác minh",
        "Tỷ lệ người lớn đạt danh hiệu",
        "Tỷ lệ cán bộ, công chức, viên chức, người lao động đạt danh hiệu",
        "Tỷ lệ người đạt danh hiệu có kỹ năng số",
    )
    places = places_of(data)
    active = sorted(
        code
        for code, citizens in places.items()
        if code and "-" not in code and any(tally(citizens, None)[:2])
    )
    assert [r[1] for r in rows] == ["", *active]
    assert [r[0] for r in rows] == ["", *range(1, len(active) + 1)]
    assert rows[0][2] == content.units.province_name
    # Far fewer rows than the province's communes: only those with someone in them.
    assert len(rows) - 1 < len(content.units.communes) / 10
    groups = [g.id for g in content.groups(YEAR)]
    for row in rows:
        citizens = places[row[1]]
        counts = tally(citizens, None)
        width = len(groups)
        assert list(row[3:5]) == counts[:2], row[1]
        # Every submission once, by where it came from.
        sent = [c for c in citizens if c.assessment and c.assessment[1] == YEAR]
        by_source = [
            sum(c.source == s and c.assessment[3] != "draft" for c in sent) for s in SOURCES
        ]
        assert list(row[5:8]) == by_source and sum(by_source) == counts[1], row[1]
        assert list(row[8 : 8 + width]) == [tally(citizens, g)[2] for g in groups], row[1]
        assert list(row[8 + width : 10 + width]) == [counts[2], counts[5]], row[1]
        ratio = expected_ratio(data, citizens, row[1], 0, COMMUNITY)
        assert row[10 + width] == (pytest.approx(ratio[1]) if ratio else ""), row[1]
        skilled, _ = skills(content, citizens, None)
        assert row[12 + width] == (pytest.approx(skilled / counts[2]) if counts[2] else "")


def verdict(share: float, target: float) -> tuple[str, float]:
    return ("Đạt" if share >= target else "Chưa đạt"), share - target


@pytest.mark.parametrize(("year", "milestone"), [(YEAR, 2030), (2025, 2025)])
async def test_the_summary_measures_each_ratio_against_the_years_target(
    session_factory: Sessions,
    db_url: str,
    content: Content,
    tmp_path: Path,
    year: int,
    milestone: int,
) -> None:
    data = await generate(session_factory, content)
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path, year=year)

    summary = read_xlsx(path)["Tổng hợp"]
    header, rows = table(summary, "STT")
    assert header == (
        "STT",
        "Nội dung",
        "Số người",
        "Trên tổng số",
        "Tỷ lệ",
        f"Chỉ tiêu đến năm {milestone}",
        "Đánh giá",
        "Chênh lệch so với chỉ tiêu",
    )
    targets = content.targets.provinces[48].years[milestone]
    assert [r[0] for r in rows] == list(range(1, 12))
    assert [r[5] for r in rows[7:]] == [
        targets.adults_in_learning_communities_titled / 100,
        targets.staff_in_learning_units_titled / 100,
        targets.titled_with_digital_skills / 100,
        targets.digital_proficient / 100,
    ]
    if year != YEAR:
        return
    counts = tally(data.citizens, None)
    assert [r[2] for r in rows[:7]] == [counts[n] for n in (0, 1, 2, 3, 4, 5, 6)]
    assert rows[6][1] == "Số giấy chứng nhận đã thu hồi (không tính là được công nhận)"
    adults = expected_ratio(data, data.citizens, "", 0, COMMUNITY)
    assert adults is not None
    row = rows[7]
    assert row[1] == "Tỷ lệ người lớn đạt danh hiệu"
    # The recognised counted where a figure was entered, over those figures.
    assert row[2:5] == (round(adults[0] * adults[1]), adults[0], pytest.approx(adults[1]))
    goal = targets.adults_in_learning_communities_titled / 100
    assert row[6:] == pytest.approx(verdict(adults[1], goal))
    skilled, proficient = skills(content, data.citizens, None)
    for row, count, base, goal in (
        (rows[9], skilled, counts[2], targets.titled_with_digital_skills / 100),
        (rows[10], proficient, skilled, targets.digital_proficient / 100),
    ):
        assert row[2:6] == (count, base, pytest.approx(count / base), goal)
        assert row[6:] == pytest.approx(verdict(count / base, goal))
    notes = [r[0] for r in summary[summary.index(header) + len(rows) + 1 :] if r and r[0]]
    assert "Chỉ tiêu: năm 2026 so với chỉ tiêu đến năm 2030." in notes[1]
    # The 2030 figures are not all confirmed: the report says so.
    assert "Chỉ tiêu đến năm 2030 chưa được đối chiếu đủ với văn bản chính thức." in notes
    framework = content.digital_skills
    [note] = [n for n in notes if str(n).startswith("Kỹ năng số:")]
    basic = framework.level(framework.plan.has_digital_skills).title.vi
    assert f"Có kỹ năng số: mức “{basic}” trở lên" in note
    assert ", ".join(level.title.vi for level in framework.levels) in note
    # Đà Nẵng's five levels, and where the plan's two figures sit on them.
    assert "(các mức, từ thấp lên: Bắt đầu, Cơ bản, Khá, Cao, Nâng cao)" in note
    assert "Có kỹ năng số: mức “Cơ bản” trở lên" in note
    assert "Thành thạo: mức “Cao” trở lên" in note
    assert "đến hết ngày 31/12/2026" in note and "tự đánh giá" in note


async def test_every_sheet_has_the_header_and_signature_blocks(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    _, path = await generated(session_factory, db_url, content, tmp_path)

    for name, rows in read_xlsx(path).items():
        cells = [v for row in rows for v in row if v]
        assert cells[:6] == [
            "HỘI KHUYẾN HỌC THÀNH PHỐ ĐÀ NẴNG",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Số: ……/BC-……",
            "Độc lập - Tự do - Hạnh phúc",
            "Lập ngày 01/12/2026",
            next(c for c in cells if str(c).startswith(("BÁO CÁO", "DANH SÁCH"))),
        ], name
        assert cells[-5:] == [
            "……, ngày …… tháng …… năm ……",
            "NGƯỜI LẬP BIỂU",
            "TM. HỘI KHUYẾN HỌC THÀNH PHỐ ĐÀ NẴNG",
            "(Ký, ghi rõ họ tên)",
            "(Ký tên, đóng dấu)",
        ], name


async def test_lists_in_the_associations_columns_and_order(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data, path = await generated(session_factory, db_url, content, tmp_path)
    sheets = read_xlsx(path)

    header, rows = table(sheets["Danh sách công nhận"], "STT")
    assert header == (*PERSON, "Số giấy chứng nhận", "Điểm", "Ngày công nhận")
    assert as_dates(rows) == listed(data, content, "approved", data.citizens)
    header, rows = table(sheets["Danh sách chờ xác minh"], "STT")
    assert header == (*PERSON, "Điểm tự đánh giá", "Ngày nộp")
    assert as_dates(rows) == listed(data, content, "submitted", data.citizens)
    assert rows, "the generated data has submissions waiting"


async def test_revoked_certificates_are_listed_apart_with_local_dates(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data, path = await generated(session_factory, db_url, content, tmp_path)

    header, rows = table(read_xlsx(path)["Đã thu hồi"], "STT")
    assert header == (*PERSON, "Số giấy chứng nhận", "Ngày thu hồi", "Lý do thu hồi")
    groups = {g.id: g.title.vi for g in content.groups(YEAR)}
    communes = {code: commune.name for code, commune in content.units.communes.items()}
    gone = sorted(
        (c for c in data.citizens if revoked(c) and c.assessment and c.assessment[1] == YEAR),
        key=lambda c: (c.commune, c.certificate[1]),  # type: ignore[index]
    )
    assert [(*r[:7], r[7].date(), r[8]) for r in rows] == [
        (
            n,
            c.name,
            c.birth_year,
            groups[c.assessment[2]],  # type: ignore[index]
            c.place,
            communes.get(c.commune, c.commune),
            c.certificate[0],  # type: ignore[index]
            local(c.certificate[1]),  # type: ignore[index]
            c.certificate[2],  # type: ignore[index]
        )
        for n, c in enumerate(gone, 1)
    ]
    # Some were revoked late in the evening: their day in Vietnam is not the UTC one.
    assert any(
        local(c.certificate[1]) != c.certificate[1].date()  # type: ignore[index,union-attr]
        for c in gone
    )
    # Taken back: waiting again, its certificate revoked but not listed as such.
    reopened = {
        c.certificate[0]
        for c in data.citizens
        if c.certificate and not revoked(c) and c.certificate[1]
    }  # type: ignore[index]
    assert reopened and not reopened & {r[6] for r in rows}
    recognised_numbers = {r[6] for r in table(read_xlsx(path)["Danh sách công nhận"], "STT")[1]}
    assert not recognised_numbers & {r[6] for r in rows}


async def test_every_sheet_prints_landscape_one_page_wide_with_its_header_repeated(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    _, path = await generated(session_factory, db_url, content, tmp_path)

    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape",
            9,  # A4
            1,
            0,
        ), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        top = next(r[0].row for r in sheet.iter_rows() if r[0].value in ("STT", "Mã"))
        assert sheet.print_title_rows == f"${top}:${top}", sheet.title
        assert sheet.freeze_panes == f"A{top + 1}", sheet.title
        assert sheet.oddFooter.center.text == f"{sheet.title} – trang &P/&N"
    recognised = book["Danh sách công nhận"]
    first = next(r for r in recognised.iter_rows() if r[0].value == 1)
    assert (first[8].number_format, first[2].number_format) == ("dd/mm/yyyy", "0")
    assert isinstance(first[8].value, datetime)
    assert recognised.auto_filter.ref.startswith(f"A{first[0].row - 1}:I")
    detail = book["Chi tiết"]
    hai_chau = next(r for r in detail.iter_rows() if r[0].value == HAI_CHAU)
    assert (hai_chau[3].number_format, hai_chau[10].value) == ("#,##0", 12_345)
    assert hai_chau[11].number_format == "0.0%" and hai_chau[3].font.b


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


async def test_a_communes_csv_holds_only_its_people_as_raw_values(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    path = tmp_path / "bao-cao.csv"
    await make(db_url, content, path, unit=HAI_CHAU)

    note, summary, by_unit, detail, recognised, waiting, gone = csv_sections(path)
    assert "0.456 = 45,6%" in note[0][0] and "2026-12-31" in note[0][0]
    assert summary[1] == ["Phạm vi: Phường Hải Châu"]
    rows = detail[next(n for n, r in enumerate(detail) if r[0] == "Mã") + 1 :]
    unit_codes = {f"{HAI_CHAU}-{u}" for u, (c, _) in data.units.items() if c == HAI_CHAU}
    assert {r[0] for r in rows} == {HAI_CHAU} | unit_codes
    total = next(r for r in rows if r[0] == HAI_CHAU and r[2] == "Tất cả")
    mine = [c for c in data.citizens if c.commune == HAI_CHAU]
    # Numbers as numbers, whatever the reader's locale: 12345, not 12.345; ratios as fractions.
    assert total[3:10] == [str(n) for n in tally(mine, None)]
    assert total[10] == "12345"
    share = titled(mine, COMMUNITY) / 12_345
    assert float(total[11]) == pytest.approx(share, rel=1e-5) and "%" not in total[11]
    skilled, proficient = skills(content, mine, None)
    assert [float(v) for v in total[14:18]] == pytest.approx(
        [skilled, skilled / tally(mine, None)[2], proficient, proficient / skilled], rel=1e-5
    )
    header = next(n for n, r in enumerate(recognised) if r[0] == "STT")
    expected = listed(data, content, "approved", mine)
    assert recognised[header + 1 :] == [
        [v.isoformat() if isinstance(v, date) else str(v) for v in row] for row in expected
    ]
    header = next(n for n, r in enumerate(waiting) if r[0] == "STT")
    assert len(waiting) - header - 1 == len(listed(data, content, "submitted", mine))
    summary_rows = summary[next(n for n, r in enumerate(summary) if r[0] == "STT") + 1 :]
    assert summary_rows[0][2] == str(tally(mine, None)[0])
    assert all(";" not in r[0] for r in gone) and by_unit[0][0].startswith("BÁO CÁO")


async def test_a_units_report_holds_only_that_unit(
    session_factory: Sessions, db_url: str, content: Content, tmp_path: Path
) -> None:
    data = await generate(session_factory, content)
    unit_id = next(u for u, (_, name) in data.units.items() if name == "Thon B")
    code = f"{HAI_CHAU}-{unit_id}"
    path = tmp_path / "bao-cao.xlsx"
    await make(db_url, content, path, unit=code)

    sheets = read_xlsx(path)
    _, rows = table(sheets["Chi tiết"], "Mã")
    assert {r[0] for r in rows} == {code}
    mine = [c for c in data.citizens if c.unit_id == unit_id]
    total = next(r for r in rows if r[2] == "Tất cả")
    assert list(total[3:10]) == tally(mine, None)
    assert (total[14], total[16]) == skills(content, mine, None)
    assert total[10] == 150
    assert "Phạm vi: Thon B, Phường Hải Châu" in [r[0] for r in sheets["Tổng hợp"] if r]
    _, by_unit = table(sheets["Theo đơn vị"], "STT")
    assert [r[1] for r in by_unit] == [code]
    _, recognised = table(sheets["Danh sách công nhận"], "STT")
    assert as_dates(recognised) == listed(data, content, "approved", mine)

    with pytest.raises(UnknownScope):
        await make(db_url, content, tmp_path / "x.xlsx", unit=f"{HAI_CHAU}-999")
    with pytest.raises(UnknownScope):
        await make(db_url, content, tmp_path / "x.xlsx", unit="99999")
