"""The paper forms' workbook: the template a village branch fills in Excel or LibreOffice
(one row per person, dropdowns for what has a list, a sheet explaining each indicator, A4),
reading a filled one back row by row (every problem named by sheet, row and column), and
the rejected rows with their reasons, to fix and import again.

The checks are the paper form's own (handlers/paper_form.py); the import's writing is the
action's (handlers/actions/paper.py): the command line and the console's upload share this."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from content import Content, CriteriaGroup
from content.text import normalize
from handlers import paper_form
from handlers.actions.paper import Entry
from handlers.i18n import Translator
from handlers.paper_form import COLUMNS, INDICATOR_COLUMN, NOTE_COLUMN

SHEET = "Danh sách"
GUIDE = "Hướng dẫn"
LISTS = "Danh mục"
ROWS = 500  # rows the dropdowns cover in a new template
INDICATORS = 10
REASON_COLUMN = "Lỗi"


@dataclass(frozen=True)
class Place:
    """What a template is for: its commune, its unit's name (or the commune's units to pick
    from), and the groups its people may be in."""

    commune_code: str
    commune_name: str
    units: list[str]
    groups: list[CriteriaGroup]


def headers(groups: Sequence[CriteriaGroup]) -> list[str]:
    """The columns: the fixed ones, one per indicator (with its short title when the
    template is for one group), the note."""
    titles = [i.title.vi for i in groups[0].indicators] if len(groups) == 1 else []
    indicators = [
        INDICATOR_COLUMN.format(n=n) + (f": {titles[n - 1]}" if titles else "")
        for n in range(1, INDICATORS + 1)
    ]
    return [*COLUMNS.values(), *indicators, NOTE_COLUMN]


def template(place: Place, out: Path | IO[bytes]) -> None:
    """Write the template for this place."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    names = headers(place.groups)
    sheet.append(names)
    for n in range(1, len(names) + 1):
        cell = sheet.cell(1, n)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[get_column_letter(n)].width = 24 if n in (1, 5) else 14
    sheet.row_dimensions[1].height = 60
    sheet.freeze_panes = "B2"
    lists = book.create_sheet(LISTS)
    lists.sheet_state = "hidden"
    columns: list[list[str]] = [
        [g.title.vi for g in place.groups],
        [place.commune_name],
        place.units,
    ]
    if len(place.groups) == 1:
        columns += [[o.label.vi for o in i.options] for i in place.groups[0].indicators]
    for c, values in enumerate(columns, 1):
        for r, value in enumerate(values, 1):
            lists.cell(r, c, value)

    def choose(column: int, list_column: int) -> None:
        values = columns[list_column]
        if not values:
            return
        letter = get_column_letter(list_column + 1)
        ref = f"{quote_sheetname(LISTS)}!${letter}$1:${letter}${len(values)}"
        rule = DataValidation(type="list", formula1=ref, allow_blank=True)
        # A warning, not a refusal: the import reads words as the chat does.
        rule.errorStyle = "warning"
        rule.add(f"{get_column_letter(column)}2:{get_column_letter(column)}{ROWS + 1}")
        sheet.add_data_validation(rule)

    fixed = len(COLUMNS)
    choose(3, 0)
    choose(4, 1)
    choose(5, 2)
    for n in range(INDICATORS):
        if len(place.groups) == 1 and n < len(place.groups[0].indicators):
            indicator = place.groups[0].indicators[n]
            column = fixed + n + 1
            if indicator.number_input is not None:
                rule = DataValidation(
                    type="decimal",
                    operator="between",
                    formula1="0",
                    formula2=str(indicator.number_input.max_value),
                    allow_blank=True,
                )
                rule.errorStyle = "warning"
                letter = get_column_letter(column)
                rule.add(f"{letter}2:{letter}{ROWS + 1}")
                sheet.add_data_validation(rule)
            else:
                choose(column, 3 + n)
    _a4(sheet, landscape=True)
    _guide(book.create_sheet(GUIDE), place)
    book.save(out)


def _a4(sheet: Worksheet, *, landscape: bool) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _guide(sheet: Worksheet, place: Place) -> None:
    """Each group's indicators, their questions and the answers the import accepts."""
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        ("", "HƯỚNG DẪN GHI PHIẾU TỰ ĐÁNH GIÁ “CÔNG DÂN HỌC TẬP”"),
        ("", f"{place.commune_name}: mỗi người một hàng ở trang “{SHEET}”."),
        (
            "",
            "Năm sinh ghi 4 chữ số; Ngày đánh giá ghi ngày/tháng/năm (ví dụ 15/11/2026). "
            "Mỗi chỉ số ghi đúng một câu trả lời như trong danh sách (hoặc số thứ tự của câu "
            "trả lời), hoặc một con số với chỉ số hỏi số lượng.",
        ),
    ]
    for group in place.groups:
        lines += [("", ""), ("Nhóm", group.title.vi)]
        for indicator in group.indicators:
            lines.append(
                (f"Chỉ số {indicator.number}", f"{indicator.title.vi}: {indicator.question.vi}")
            )
            if indicator.number_input is not None:
                number = indicator.number_input
                bands = "; ".join(
                    f"từ {band.min:g}"
                    + (f" đến dưới {band.max:g}" if band.max else " trở lên")
                    + f": {band.points} điểm"
                    for band in number.bands
                )
                lines.append(
                    ("", f"Ghi một số từ 0 đến {number.max_value} ({number.unit.vi}). {bands}")
                )
            else:
                for n, option in enumerate(indicator.options, 1):
                    lines.append(("", f"{n}. {option.label.vi}: {option.points} điểm"))
    for a, b in lines:
        sheet.append([a, b])
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["B1"].font = Font(bold=True)
    _a4(sheet, landscape=False)


@dataclass
class Row:
    """One person's row as read: the form, or every problem with it."""

    number: int
    values: list[Any]
    form: paper_form.Form | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Read:
    sheet: str
    headers: list[str]
    rows: list[Row]
    problems: list[str]  # of the file as a whole (a missing column)

    @property
    def valid(self) -> list[Row]:
        return [r for r in self.rows if r.form is not None and not r.problems]

    @property
    def invalid(self) -> list[Row]:
        return [r for r in self.rows if r.problems]

    def entries(self, evidence: Sequence[dict[str, Any]] = ()) -> list[Entry]:
        return [Entry(r.form, evidence) for r in self.valid if r.form is not None]


_INDICATOR = re.compile(r"^(?:chi so\s*)?(\d{1,2})\b")


def _fields(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Which column holds which field, and the fixed columns missing."""
    wanted = {normalize(name): key for key, name in COLUMNS.items()}
    found: dict[str, int] = {}
    for n, header in enumerate(headers):
        key = normalize(header)
        if key in wanted:
            found[wanted[key]] = n
        elif key == normalize(NOTE_COLUMN):
            found[paper_form.NOTE] = n
        elif m := _INDICATOR.match(key):
            found[f"I{int(m.group(1))}"] = n
    missing = [name for key, name in COLUMNS.items() if key not in found]
    return found, missing


def read(
    content: Content,
    source: Path | IO[bytes] | bytes,
    today: date,
    t: Translator,
    progress: Any = None,
) -> Read:
    """Every row of the first sheet checked, each problem named by sheet, row and column
    ("[Danh sách] Hàng 14, cột Chỉ số 6: 'mười một' không phải số"); the same person twice
    in the file is a problem of the later row."""
    book = load_workbook(
        BytesIO(source) if isinstance(source, bytes) else source, read_only=True, data_only=True
    )
    sheet = book.worksheets[0]
    lines: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
    head = [paper_form.text_of(v) for v in next(lines, ())]
    found, missing = _fields(head)
    name = sheet.title
    if missing:
        return Read(
            name,
            head,
            [],
            [
                t._("[{sheet}] Thiếu cột {column}").format(sheet=name, column=column)
                for column in missing
            ],
        )
    rows: list[Row] = []
    first: dict[tuple[Any, ...], int] = {}
    reader = paper_form.Reader(content, today)
    for number, values in enumerate(lines, 2):
        if progress is not None:
            progress()
        if all(paper_form.text_of(v) == "" for v in values):
            continue

        def cell(key: str, values: tuple[Any, ...] = values) -> Any:
            n = found.get(key)
            return values[n] if n is not None and n < len(values) else None

        written = paper_form.Written(
            full_name=cell(paper_form.NAME),
            birth_year=cell(paper_form.BIRTH_YEAR),
            group=cell(paper_form.GROUP),
            commune=cell(paper_form.COMMUNE),
            place=cell(paper_form.PLACE),
            form_date=cell(paper_form.FORM_DATE),
            answers={f"I{n}": cell(f"I{n}") for n in range(1, INDICATORS + 1)},
            note=cell(paper_form.NOTE) or "",
        )
        row = Row(number, list(values))
        got = reader.read(written)
        if isinstance(got, list):
            row.problems = [
                t._("[{sheet}] Hàng {row}, cột {column}: {problem}").format(
                    sheet=name,
                    row=number,
                    column=paper_form.column_of(p.field),
                    problem=paper_form.describe(t, p),
                )
                for p in got
            ]
        else:
            row.form = got
            key = (normalize(got.full_name).replace(" ", ""), got.birth_year, got.commune_code)
            if key in first:
                row.problems = [
                    t._("[{sheet}] Hàng {row}: cùng một người với hàng {other}").format(
                        sheet=name, row=number, other=first[key]
                    )
                ]
            else:
                first[key] = number
        rows.append(row)
    book.close()
    return Read(name, head, rows, [])


def rejects(read_: Read, out: Path | IO[bytes]) -> None:
    """The rejected rows as they were, with their reasons in a last column: fix, import."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([*read_.headers, REASON_COLUMN])
    for row in read_.invalid:
        values = [*row.values, *[None] * (len(read_.headers) - len(row.values))]
        sheet.append([*values[: len(read_.headers)], "\n".join(row.problems)])
    _a4(sheet, landscape=True)
    book.save(out)
