"""The annual report for the province, a commune or a unit, as the association files it:
- Tổng hợp: the scope's figures, each of the plan's ratios against the target of the year's
  milestone (2025 for 2021-2025, then 2030) with "Đạt/Chưa đạt" and the gap, and what each
  figure means;
- Theo xã, phường (Theo đơn vị in a commune's report): one row per commune or unit where
  anyone took part, the target groups side by side;
- Chi tiết: every place and group with every figure;
- the recognised citizens with their certificate numbers, the submissions waiting for a
  decision, and the revoked certificates, which count nowhere else.
Every sheet carries the association's header block and a signature block, and prints
landscape, one page wide, its header row repeated on each page.

It reads through its own read-only engine (``storage.db.create_reader``): one snapshot for
every sheet, and the bot's writers carry on meanwhile. The counts are grouped in SQL; the
lists are streamed in chunks straight into the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.documents.reports.columns import Cell, Column, Halves, Kind, Page, Writer
from bot.documents.reports.summary import Place, Tally, summarise
from bot.documents.reports.writers import writer_for
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


Verdict = tuple[str, float | None]  # "Đạt" / "Chưa đạt" / no figures, and the gap


@dataclass
class AnnualReport:
    content: Content
    t: Translator
    year: int
    now: datetime
    association: str  # who files it: the header block and the signature block name it

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

    @cached_property
    def province(self) -> ProvinceTargets | None:
        return self.content.targets.provinces.get(self.content.units.province_code)

    @cached_property
    def milestone(self) -> tuple[int, TargetRatios] | None:
        return self.province.milestone(self.year) if self.province else None

    @property
    def csv_note(self) -> str:
        return self.t._(
            "Tệp CSV dành cho phần mềm đọc: số không có dấu phân cách hàng nghìn, dấu thập "
            "phân là dấu chấm; tỷ lệ và chênh lệch là số thập phân (0.456 = 45,6%); ngày theo "
            "dạng năm-tháng-ngày (2026-12-31)."
        )

    async def write(self, session: AsyncSession, scope: ReportScope, out: Writer) -> None:
        places = await self.places(session, scope)
        self._summary(out, scope, places[0])
        self._by_place(out, scope, places)
        self._detail(out, scope, places)
        _ = self.t._
        await self._list(
            out,
            _("Danh sách công nhận"),
            _("DANH SÁCH CÔNG DÂN ĐƯỢC CÔNG NHẬN DANH HIỆU “CÔNG DÂN HỌC TẬP” NĂM {year}"),
            scope,
            [
                Column(_("Số giấy chứng nhận"), Kind.TEXT, 15),
                Column(_("Điểm"), Kind.NUMBER, 7),
                Column(_("Ngày công nhận"), Kind.DATE, 12),
            ],
            reports.recognised(session, self.year, scope.filter),
        )
        await self._list(
            out,
            _("Danh sách chờ xác minh"),
            _("DANH SÁCH BẢN TỰ ĐÁNH GIÁ ĐANG CHỜ XÁC MINH NĂM {year}"),
            scope,
            [
                Column(_("Điểm tự đánh giá"), Kind.NUMBER, 9),
                Column(_("Ngày nộp"), Kind.DATE, 12),
            ],
            reports.waiting(session, self.year, scope.filter),
        )
        await self._list(
            out,
            _("Đã thu hồi"),
            _("DANH SÁCH GIẤY CHỨNG NHẬN “CÔNG DÂN HỌC TẬP” NĂM {year} ĐÃ THU HỒI"),
            scope,
            [
                Column(_("Số giấy chứng nhận"), Kind.TEXT, 15),
                Column(_("Ngày thu hồi"), Kind.DATE, 12),
                Column(_("Lý do thu hồi"), Kind.TEXT, 30),
            ],
            reports.revoked(session, self.year, scope.filter),
        )

    async def places(self, session: AsyncSession, scope: ReportScope) -> list[Place]:
        """The places in order, the scope's own first (the province, the commune or the
        unit), with their counts and ratios; the web console's dashboard shows the same."""
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

    def _page(self, name: str, lines: list[str], notes: Sequence[str] = ()) -> Page:
        """A sheet's blocks: the association's header, the title and lines, the notes, the
        signature block and the page footer."""
        _ = self.t._
        local = self.now.astimezone(LOCAL_TZ)
        return Page(
            lines=lines,
            head=[
                Halves(self.association.upper(), _("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")),
                Halves(_("Số: ……/BC-……"), _("Độc lập - Tự do - Hạnh phúc"), strong=False),
                Halves("", _("Lập ngày {date}").format(date=f"{local:%d/%m/%Y}"), strong=False),
            ],
            notes=notes,
            sign=[
                Halves("", _("……, ngày …… tháng …… năm ……"), strong=False),
                Halves(
                    _("NGƯỜI LẬP BIỂU"),
                    _("TM. {association}").format(association=self.association.upper()),
                ),
                Halves(_("(Ký, ghi rõ họ tên)"), _("(Ký tên, đóng dấu)"), strong=False),
            ],
            footer=_("{sheet} – trang {page}/{pages}").format(
                sheet=name, page="{page}", pages="{pages}"
            ),
        )

    def _title(self, scope: ReportScope) -> list[str]:
        _ = self.t._
        return [
            _("BÁO CÁO KẾT QUẢ XÂY DỰNG MÔ HÌNH “CÔNG DÂN HỌC TẬP” NĂM {year}").format(
                year=self.year
            ),
            _("Phạm vi: {place}").format(place=scope.name),
        ]

    def _summary(self, out: Writer, scope: ReportScope, whole: Place) -> None:
        """The figures of the scope as a whole, each ratio against its target."""
        _ = self.t._
        lines = self._title(scope)
        province = self.province
        if province is not None and province.report_due is not None:
            due = date(self.year, province.report_due.month, province.report_due.day)
            lines.append(_("Hạn gửi báo cáo: {date}.").format(date=f"{due:%d/%m/%Y}"))
        target = (
            _("Chỉ tiêu đến năm {year}").format(year=self.milestone[0])
            if self.milestone
            else _("Chỉ tiêu")
        )
        name = _("Tổng hợp")
        out.sheet(
            name,
            self._page(name, lines, self._notes()),
            [
                Column(_("STT"), Kind.NUMBER, 5),
                Column(_("Nội dung"), Kind.TEXT, 58),
                Column(_("Số người"), Kind.COUNT, 12),
                Column(_("Trên tổng số"), Kind.COUNT, 12),
                Column(_("Tỷ lệ"), Kind.PERCENT, 10),
                Column(target, Kind.PERCENT, 11),
                Column(_("Đánh giá"), Kind.TEXT, 13),
                Column(_("Chênh lệch so với chỉ tiêu"), Kind.PERCENT, 12),
            ],
        )
        total = whole.total
        counted = [
            (_("Số người đăng ký trên bot"), total.registered),
            (_("Số bản tự đánh giá đã nộp"), total.submitted),
            (_("Số người được công nhận danh hiệu"), total.approved),
            (_("Số bản trả lại để sửa"), total.returned),
            (_("Số bản không công nhận"), total.rejected),
            (_("Số bản đang chờ xác minh"), total.pending),
            (_("Số giấy chứng nhận đã thu hồi (không tính là được công nhận)"), total.revoked),
        ]
        rows: list[list[Cell]] = [[label, n, None, None, None, None, None] for label, n in counted]
        targets = self.milestone[1] if self.milestone else None
        for ratio in self.content.targets.ratios:
            measured = whole.ratios.get(ratio)
            rows.append(
                self._measured(
                    _(RATIO_HEADERS[ratio][1]),
                    measured.titled if measured else None,
                    measured.population if measured else None,
                    getattr(targets, ratio) if targets else None,
                )
            )
        rows += [
            self._measured(
                _("Tỷ lệ người đạt danh hiệu có kỹ năng số"),
                total.skilled,
                total.approved,
                targets.titled_with_digital_skills if targets else None,
            ),
            self._measured(
                _("Tỷ lệ thành thạo kỹ năng số trong số có kỹ năng số"),
                total.proficient,
                total.skilled,
                targets.digital_proficient if targets else None,
            ),
        ]
        out.rows([[n, *row] for n, row in enumerate(rows, 1)])

    def _measured(
        self, label: str, count: int | None, base: int | None, target: int | None
    ) -> list[Cell]:
        """A ratio's row: count, base, share, target, verdict and gap."""
        _ = self.t._
        share = count / base if count is not None and base else None
        goal = target / 100 if target is not None else None
        if share is None:
            verdict, gap = (_("Chưa có số liệu") if goal is not None else None), None
        elif goal is None:
            verdict, gap = None, None
        else:
            verdict, gap = (_("Đạt") if share >= goal else _("Chưa đạt")), share - goal
        return [label, count, base, share, goal, verdict, gap]

    def _notes(self) -> list[str]:
        """What each figure means, and where the targets come from."""
        _ = self.t._
        ratios = self.content.targets.ratios
        notes = [_("Số liệu tính đến lúc lập báo cáo.")]
        if self.milestone is not None:
            milestone, targets = self.milestone
            notes.append(
                _(
                    "Chỉ tiêu: năm {year} so với chỉ tiêu đến năm {target}. Đạt khi tỷ lệ bằng "
                    "hoặc cao hơn chỉ tiêu; chênh lệch = tỷ lệ trừ chỉ tiêu."
                ).format(year=self.year, target=milestone)
            )
            if targets.status != "official":
                notes.append(
                    _(
                        "Chỉ tiêu đến năm {target} chưa được đối chiếu đủ với văn bản chính thức."
                    ).format(target=milestone)
                )
        if self.province is not None and self.province.note is not None:
            notes.append(self.t.text(self.province.note))
        return [
            *notes,
            _(
                "Đăng ký: người đã đăng ký trên bot đến hết ngày 31/12/{year}, theo nhóm đối "
                "tượng hiện tại; các số khác đếm bản tự đánh giá năm {year}, theo nhóm đối "
                "tượng của bản đó."
            ).format(year=self.year),
            _(
                "Đã nộp: mọi bản đã gửi Hội Khuyến học, gồm bản đã công nhận, trả lại để sửa, "
                "không công nhận, đang chờ xác minh và bản có giấy chứng nhận đã thu hồi."
            ),
            _(
                "Giấy chứng nhận đã thu hồi không được tính là đạt danh hiệu, trong danh sách "
                "công nhận cũng như trong các tỷ lệ; chúng được liệt kê riêng ở trang “Đã thu "
                "hồi”."
            ),
            *(self.t.text(rule.note) for rule in ratios.values()),
            _(
                "Xã, phường chưa khai báo số liệu thì tỷ lệ tính theo số liệu các đơn vị trực "
                "thuộc đã khai báo, chỉ với người thuộc các đơn vị đó. Tỷ lệ chung cộng các xã, "
                "phường có số liệu. Số liệu khai báo bằng lệnh `unit population`."
            ),
            self._skills_note(),
        ]

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

    def _place_name(self, place: Place) -> str:
        _ = self.t._
        return place.name or (
            _("(chưa chọn xã, phường)") if not place.code else _("(không có trong danh mục)")
        )

    def _by_place(self, out: Writer, scope: ReportScope, places: list[Place]) -> None:
        """One row per commune (or, in a commune's report, per unit) where anyone registered
        or submitted, the target groups side by side; the scope's total first."""
        _ = self.t._
        whole, *rest = places
        shown = [
            p
            for p in rest
            if p.level == whole.level + 1 and (p.total.registered or p.total.submitted)
        ]
        name = _("Theo xã, phường") if scope.province else _("Theo đơn vị")
        out.sheet(
            name,
            self._page(
                name,
                self._title(scope),
                [
                    _(
                        "Chỉ những nơi đã có người đăng ký hoặc nộp bản tự đánh giá; số liệu đủ "
                        "của mọi nơi và từng nhóm đối tượng ở trang “Chi tiết”."
                    )
                ],
            ),
            [
                Column(_("STT"), Kind.NUMBER, 5),
                Column(_("Mã"), Kind.TEXT, 9),
                Column(_("Xã, phường") if scope.province else _("Đơn vị"), Kind.TEXT, 24),
                Column(_("Đăng ký"), Kind.COUNT, 9),
                Column(_("Đã nộp"), Kind.COUNT, 9),
                Column(_("Nộp qua trò chuyện"), Kind.COUNT, 9),
                Column(_("Phiếu giấy"), Kind.COUNT, 9),
                Column(_("Cán bộ hỗ trợ nhập"), Kind.COUNT, 9),
                *(
                    Column(_("Công nhận: {group}").format(group=title), Kind.COUNT, 12)
                    for title in self.groups.values()
                ),
                Column(_("Tổng số được công nhận"), Kind.COUNT, 11),
                Column(_("Chờ xác minh"), Kind.COUNT, 9),
                *(
                    Column(_(RATIO_HEADERS[ratio][1]), Kind.PERCENT, 12)
                    for ratio in self.content.targets.ratios
                ),
                Column(_("Tỷ lệ người đạt danh hiệu có kỹ năng số"), Kind.PERCENT, 12),
            ],
        )

        def row(number: int | None, place: Place) -> list[Cell]:
            total = place.total
            ratios = [place.ratios.get(r) for r in self.content.targets.ratios]
            return [
                number,
                place.code,
                self._place_name(place),
                total.registered,
                total.submitted,
                total.by_chat,
                total.by_paper,
                total.by_assisted,
                *(place.groups[g].approved if g in place.groups else 0 for g in self.groups),
                total.approved,
                total.pending,
                *(r.value if r else None for r in ratios),
                total.skilled_share,
            ]

        out.rows([row(None, whole)], strong=True)
        out.rows(row(n, place) for n, place in enumerate(shown, 1))

    def _detail(self, out: Writer, scope: ReportScope, places: list[Place]) -> None:
        """Every place, all groups then each group: every figure the summaries add up."""
        _ = self.t._
        columns = [
            Column(_("Mã"), Kind.TEXT, 9),
            Column(_("Đơn vị"), Kind.TEXT, 26),
            Column(_("Nhóm đối tượng"), Kind.TEXT, 27),
            Column(_("Đăng ký"), Kind.COUNT, 9),
            Column(_("Đã nộp"), Kind.COUNT, 9),
            Column(_("Đã công nhận"), Kind.COUNT, 9),
            Column(_("Trả lại để sửa"), Kind.COUNT, 9),
            Column(_("Không công nhận"), Kind.COUNT, 9),
            Column(_("Chờ xác minh"), Kind.COUNT, 9),
            Column(_("Đã thu hồi"), Kind.COUNT, 9),
        ]
        for ratio in self.content.targets.ratios:
            population, share = RATIO_HEADERS[ratio]
            columns += [Column(_(population), Kind.COUNT, 12), Column(_(share), Kind.PERCENT, 11)]
        columns += [
            Column(_("Đạt danh hiệu, có kỹ năng số"), Kind.COUNT, 10),
            Column(_("Tỷ lệ người đạt danh hiệu có kỹ năng số"), Kind.PERCENT, 10),
            Column(_("Thành thạo kỹ năng số"), Kind.COUNT, 10),
            Column(_("Tỷ lệ thành thạo trong số có kỹ năng số"), Kind.PERCENT, 10),
        ]
        name = _("Chi tiết")
        out.sheet(name, self._page(name, self._title(scope)), columns)
        for place in places:
            self._place_rows(out, place)

    def _place_rows(self, out: Writer, place: Place) -> None:
        _ = self.t._
        name = "  " * max(place.level - 1, 0) + self._place_name(place)
        ratio_cells: list[Cell] = []
        for ratio in self.content.targets.ratios:
            measured = place.ratios.get(ratio)
            ratio_cells += [
                measured.population if measured else None,
                measured.value if measured else None,
            ]
        total = place.total
        out.rows(
            [[place.code, name, _("Tất cả"), *total.values(), *ratio_cells, *skill_cells(total)]],
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
                *skill_cells(place.groups[g]),
            ]
            for g in groups
        )

    def _person_columns(self) -> list[Column]:
        """The first columns of every list: who, and where."""
        _ = self.t._
        return [
            Column(_("STT"), Kind.NUMBER, 5),
            Column(_("Họ và tên"), Kind.TEXT, 26),
            Column(_("Năm sinh"), Kind.NUMBER, 8),
            Column(_("Nhóm đối tượng"), Kind.TEXT, 27),
            Column(_("Thôn, tổ dân phố, đơn vị"), Kind.TEXT, 22),
            Column(_("Xã, phường"), Kind.TEXT, 20),
        ]

    async def _list(
        self,
        out: Writer,
        sheet: str,
        title: str,
        scope: ReportScope,
        columns: list[Column],
        chunks: AsyncIterator[Sequence[Row[Any]]],
    ) -> None:
        _ = self.t._
        lines = [title.format(year=self.year), _("Phạm vi: {place}").format(place=scope.name)]
        out.sheet(sheet, self._page(sheet, lines), [*self._person_columns(), *columns])
        number = 0
        async for chunk in chunks:
            out.rows(self._listed(chunk, number))
            number += len(chunk)

    def _listed(self, chunk: Sequence[Row[Any]], number: int) -> list[list[Cell]]:
        """(name, birth year, group, commune, place, *the rest) -> numbered, the group and
        commune by name, the place before the commune, moments as days in Vietnam."""
        groups, communes = self.groups, self.communes
        return [
            [
                number + n,
                name,
                birth_year,
                groups.get(group, group),
                place,
                communes.get(commune or "", commune or ""),
                *(local_date(v) if isinstance(v, datetime) else v for v in rest),
            ]
            for n, (name, birth_year, group, commune, place, *rest) in enumerate(chunk, 1)
        ]


def skill_cells(tally: Tally) -> list[Cell]:
    """With digital skills and their share of the recognised; the proficient and their
    share of those with skills."""
    return [tally.skilled, tally.skilled_share, tally.proficient, tally.proficient_share]


async def write_annual(
    database_url: str, report: AnnualReport, unit_code: str | None, path: Path
) -> None:
    """Write the report for the province (no code), a commune or a unit to ``path`` (.xlsx
    or .csv). UnknownScope for a code that names nothing."""
    engine = create_reader(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            scope = await resolve(session, report.content, unit_code)
            out = writer_for(path, report.csv_note)
            try:
                await report.write(session, scope, out)
            finally:
                out.close()
    finally:
        await engine.dispose()
