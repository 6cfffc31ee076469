"""The annual report for the province, a commune or a unit: a summary sheet with the plan's
ratios against the province's targets (the population ratios, and the recognised citizens'
digital skills by their latest check), the list of recognised citizens and the list of
submissions waiting for a decision.

It reads through its own read-only engine (``storage.db.create_reader``): one snapshot for
the three sheets, and the bot's writers carry on meanwhile. The counts are grouped in SQL;
the lists are streamed in chunks straight into the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.columns import Column, Kind, Writer
from bot.reports.summary import Place, Tally, summarise
from bot.reports.writers import writer_for
from content import Content
from content.targets import PopulationRatio, ProvinceTargets, TargetRatios
from handlers.context import LOCAL_TZ
from handlers.i18n import N_, Translator
from storage.db import create_reader, make_sessionmaker
from storage.repositories import reports, staff

RATIO_HEADERS: dict[PopulationRatio, tuple[str, str]] = {
    "adults_in_learning_communities_titled": (
        N_("Số người lớn trong gia đình, dòng họ, cộng đồng học tập"),
        N_("Tỷ lệ người lớn đạt danh hiệu"),
    ),
    "staff_in_learning_units_titled": (
        N_("Số cán bộ, công chức, viên chức, người lao động trong đơn vị học tập"),
        N_("Tỷ lệ cán bộ, công chức, viên chức, người lao động đạt danh hiệu"),
    ),
}


class UnknownScope(ValueError):
    """A --unit that is neither a commune of the province nor a known unit."""


@dataclass(frozen=True)
class ReportScope:
    filter: reports.Scope
    code: str  # "" for the province
    name: str
    communes: Sequence[str]  # whose rows the summary shows
    province: bool


async def resolve(session: AsyncSession, content: Content, code: str | None) -> ReportScope:
    """The province (no code), a commune by its official code, or a unit by its code."""
    units = content.units
    if not code:
        return ReportScope(reports.Scope(), "", units.province_name, list(units.communes), True)
    if "-" not in code:
        commune = units.get(code)
        if commune is None:
            raise UnknownScope(f"unknown commune code {code!r} in {units.province_name}")
        return ReportScope(reports.Scope(commune_code=code), code, commune.name, [code], False)
    unit = await staff.unit_by_code(session, code)
    if unit is None:
        raise UnknownScope(f"unknown unit {code!r} (see `unit list`)")
    commune = units.get(unit.commune_code)
    name = f"{unit.name}, {commune.name}" if commune else unit.name
    return ReportScope(reports.Scope(unit_id=unit.id), code, name, [], False)


def local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment else None


@dataclass
class AnnualReport:
    content: Content
    t: Translator
    year: int
    now: datetime

    @cached_property
    def groups(self) -> dict[str, str]:
        """Target group id -> its name, in the criteria set's order."""
        try:
            groups = self.content.groups(self.year)
        except KeyError:  # no criteria set covers the year: show the ids
            return {}
        return {g.id: self.t.text(g.title) for g in groups}

    @cached_property
    def communes(self) -> dict[str, str]:
        return {c.code: c.name for c in self.content.units.communes.values()}

    async def write(self, session: AsyncSession, scope: ReportScope, out: Writer) -> None:
        await self._summary(session, scope, out)
        _ = self.t._
        await self._list(
            out,
            _("Danh sách công nhận"),
            _("DANH SÁCH CÔNG DÂN ĐƯỢC CÔNG NHẬN DANH HIỆU “CÔNG DÂN HỌC TẬP” NĂM {year}"),
            scope,
            [_("Điểm"), _("Ngày công nhận")],
            reports.recognised(session, self.year, scope.filter),
        )
        await self._list(
            out,
            _("Danh sách chờ xác minh"),
            _("DANH SÁCH BẢN TỰ ĐÁNH GIÁ ĐANG CHỜ XÁC MINH NĂM {year}"),
            scope,
            [_("Điểm tự đánh giá"), _("Ngày nộp")],
            reports.waiting(session, self.year, scope.filter),
        )

    async def _summary(self, session: AsyncSession, scope: ReportScope, out: Writer) -> None:
        _ = self.t._
        places = await self.places(session, scope)
        province = self.content.targets.provinces.get(self.content.units.province_code)
        milestone = province.milestone(self.year) if province else None
        out.sheet(_("Tổng hợp"), self._notes(scope, province), self._summary_columns(milestone))
        for place in places:
            self._place_rows(out, place, milestone[1] if milestone else None)

    async def places(self, session: AsyncSession, scope: ReportScope) -> list[Place]:
        """The summary's places (province, communes, units) with their counts and ratios;
        the web console's dashboard shows the same figures."""
        year_end = datetime.combine(date(self.year + 1, 1, 1), time(), LOCAL_TZ)
        counts = await reports.counts(session, self.year, scope.filter, year_end)
        framework = self.content.digital_skills
        skills = await reports.skills(
            session,
            self.year,
            scope.filter,
            year_end,
            skilled=framework.at_or_above(framework.plan.has_digital_skills),
            proficient=framework.at_or_above(framework.plan.proficient),
        )
        places = summarise(
            self.content,
            counts,
            skills,
            await reports.units(session, scope.filter),
            await reports.populations(session, self.year),
            commune_codes=scope.communes,
            province=scope.name if scope.province else None,
        )
        if scope.filter.unit_id is not None:
            places = [p for p in places if p.level == 2]
        return places

    def _summary_columns(self, milestone: tuple[int, TargetRatios] | None) -> list[Column]:
        _ = self.t._
        ratios = self.content.targets.ratios
        target = _("Chỉ tiêu năm {year}").format(year=milestone[0]) if milestone else _("Chỉ tiêu")
        columns = [
            Column(_("Mã"), Kind.TEXT, 10),
            Column(_("Đơn vị"), Kind.TEXT, 30),
            Column(_("Nhóm đối tượng"), Kind.TEXT, 24),
            Column(_("Đăng ký"), Kind.COUNT),
            Column(_("Đã nộp"), Kind.COUNT),
            Column(_("Đã công nhận"), Kind.COUNT),
            Column(_("Trả lại để sửa"), Kind.COUNT),
            Column(_("Không công nhận"), Kind.COUNT),
            Column(_("Chờ xác minh"), Kind.COUNT),
        ]
        for ratio in ratios:
            population, share = RATIO_HEADERS[ratio]
            columns += [
                Column(_(population), Kind.COUNT, 16),
                Column(_(share), Kind.PERCENT, 16),
                Column(target, Kind.PERCENT),
            ]
        return [
            *columns,
            Column(_("Đạt danh hiệu, có kỹ năng số"), Kind.COUNT, 16),
            Column(_("Tỷ lệ người đạt danh hiệu có kỹ năng số"), Kind.PERCENT, 16),
            Column(target, Kind.PERCENT),
            Column(_("Thành thạo kỹ năng số"), Kind.COUNT, 16),
            Column(_("Tỷ lệ thành thạo trong số có kỹ năng số"), Kind.PERCENT, 16),
            Column(target, Kind.PERCENT),
        ]

    def _notes(self, scope: ReportScope, province: ProvinceTargets | None) -> list[str]:
        """The summary's title, scope, date, deadline, and what each figure means."""
        _ = self.t._
        ratios = self.content.targets.ratios
        lines = [
            _("BÁO CÁO KẾT QUẢ XÂY DỰNG MÔ HÌNH “CÔNG DÂN HỌC TẬP” NĂM {year}").format(
                year=self.year
            ),
            _("Phạm vi: {place}").format(place=scope.name),
            _("Lập ngày {date}; số liệu tính đến lúc lập báo cáo.").format(
                date=f"{self.now.astimezone(LOCAL_TZ):%d/%m/%Y}"
            ),
        ]
        if province is not None and province.report_due is not None:
            due = date(self.year, province.report_due.month, province.report_due.day)
            lines.append(_("Hạn gửi báo cáo: {date}.").format(date=f"{due:%d/%m/%Y}"))
        if province is not None and province.note is not None:
            lines.append(_("Chỉ tiêu: {note}").format(note=self.t.text(province.note)))
        lines += [
            _(
                "Đăng ký: người đã đăng ký trên bot đến hết ngày 31/12/{year}, theo nhóm đối "
                "tượng hiện tại; các cột khác đếm bản tự đánh giá năm {year}, theo nhóm đối "
                "tượng của bản đó."
            ).format(year=self.year),
            _(
                "Đã nộp: mọi bản đã gửi Hội Khuyến học, gồm bản đã công nhận, trả lại để sửa, "
                "không công nhận và đang chờ xác minh."
            ),
            *(self.t.text(rule.note) for rule in ratios.values()),
            _(
                "Xã, phường chưa khai báo số liệu thì tỷ lệ tính theo số liệu các đơn vị trực "
                "thuộc đã khai báo, chỉ với người thuộc các đơn vị đó. Tỷ lệ chung cộng các xã, "
                "phường có số liệu. Số liệu khai báo bằng lệnh `unit population`."
            ),
            self._skills_note(),
        ]
        return lines

    def _skills_note(self) -> str:
        """How the check's levels count for the plan's two digital-skills figures."""
        framework = self.content.digital_skills
        levels = [self.t.text(level.title) for level in framework.levels]
        return self.t._(
            "Kỹ năng số: theo lần kiểm tra kỹ năng số trên bot gần nhất hoàn thành đến hết ngày "
            "31/12/{year} của người đạt danh hiệu trong năm (các mức, từ thấp lên: {levels}). "
            "Có kỹ năng số: mức “{skilled}” trở lên; tỷ lệ = số có kỹ năng số chia cho số đạt "
            "danh hiệu. Thành thạo: mức “{proficient}” trở lên; tỷ lệ = số thành thạo chia cho "
            "số có kỹ năng số. Người đạt danh hiệu chưa hoàn thành lần kiểm tra nào thì tính là "
            "chưa có kỹ năng số. Đây là kết quả người dân tự đánh giá, chưa được xác minh."
        ).format(
            year=self.year,
            levels=", ".join(levels),
            skilled=self.t.text(framework.level(framework.plan.has_digital_skills).title),
            proficient=self.t.text(framework.level(framework.plan.proficient).title),
        )

    def _place_rows(self, out: Writer, place: Place, targets: TargetRatios | None) -> None:
        _ = self.t._
        name = place.name or (
            _("(chưa chọn xã, phường)") if not place.code else _("(không có trong danh mục)")
        )
        name = "  " * max(place.level - 1, 0) + name
        ratio_cells: list[Any] = []
        for ratio in self.content.targets.ratios:
            measured = place.ratios.get(ratio)
            target = getattr(targets, ratio) / 100 if targets is not None else None
            ratio_cells += [
                measured.population if measured else None,
                measured.value if measured else None,
                target,
            ]
        total = place.total
        out.rows(
            [
                [
                    place.code,
                    name,
                    _("Tất cả"),
                    *total.values(),
                    *ratio_cells,
                    *skill_cells(total, targets),
                ]
            ],
            strong=True,
        )
        groups = [*self.groups, *sorted(set(place.groups) - set(self.groups))]
        out.rows(
            [
                place.code,
                name,
                self.groups.get(g, g),
                *place.groups[g].values(),
                *[None] * len(ratio_cells),
                *skill_cells(place.groups[g], None),
            ]
            for g in groups
        )

    async def _list(
        self,
        out: Writer,
        sheet: str,
        title: str,
        scope: ReportScope,
        last_headers: list[str],
        chunks: Any,
    ) -> None:
        _ = self.t._
        out.sheet(
            sheet,
            [title.format(year=self.year), _("Phạm vi: {place}").format(place=scope.name)],
            [
                Column(_("STT"), Kind.NUMBER, 6),
                Column(_("Họ và tên"), Kind.TEXT, 28),
                Column(_("Năm sinh"), Kind.NUMBER, 9),
                Column(_("Nhóm đối tượng"), Kind.TEXT, 24),
                Column(_("Thôn, tổ dân phố, đơn vị"), Kind.TEXT, 24),
                Column(_("Xã, phường"), Kind.TEXT, 22),
                Column(last_headers[0], Kind.NUMBER, 8),
                Column(last_headers[1], Kind.DATE, 14),
            ],
        )
        number = 0
        async for chunk in chunks:
            out.rows(self._listed(chunk, number))
            number += len(chunk)

    def _listed(self, chunk: Sequence[Row[Any]], number: int) -> list[list[Any]]:
        groups, communes = self.groups, self.communes
        return [
            [
                number + n,
                name,
                birth_year,
                groups.get(group, group),
                place,
                communes.get(commune or "", commune or ""),
                total,
                local_date(at),
            ]
            for n, (name, birth_year, group, commune, place, total, at) in enumerate(chunk, 1)
        ]


def skill_cells(tally: Tally, targets: TargetRatios | None) -> list[Any]:
    """With digital skills, their share of the recognised, the target; the same for the
    proficient among those with skills. Targets only on a place's row of all groups."""
    return [
        tally.skilled,
        tally.skilled_share,
        targets.titled_with_digital_skills / 100 if targets else None,
        tally.proficient,
        tally.proficient_share,
        targets.digital_proficient / 100 if targets else None,
    ]


async def write_annual(
    database_url: str, report: AnnualReport, unit_code: str | None, path: Path
) -> None:
    """Write the report for the province (no code), a commune or a unit to ``path`` (.xlsx
    or .csv). UnknownScope for a code that names nothing."""
    engine = create_reader(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            scope = await resolve(session, report.content, unit_code)
            out = writer_for(path)
            try:
                await report.write(session, scope, out)
            finally:
                out.close()
    finally:
        await engine.dispose()
