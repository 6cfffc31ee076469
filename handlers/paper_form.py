"""Reading a paper self-assessment as an officer copies it (the console's form, a row of the
XLSX import): the citizen's details and each indicator's answer as written, checked with the
chat's own readers (an option by its number or label, a number within the indicator's range,
words for small numbers), so a form passes or fails exactly as the same answers in chat.

Channel-neutral and without I/O: what needs the database (the unit, the scope, a person
already known) is the action's (handlers/actions/paper.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from content import Content, CriteriaGroup
from content.criteria import Indicator
from content.text import normalize
from handlers.actions.profile import GUARDIAN_AGE, LEARNERS, MAX_AGE, MIN_AGE
from handlers.i18n import N_, Translator
from handlers.input import NumberProblem, Vocabulary, clean, match_choice, read_number

NAME_MAX = 120
NOTE_MAX = 500


class Trouble(StrEnum):
    """What is wrong with one field, in a code each surface says in its own words."""

    MISSING = "missing"
    TOO_LONG = "too_long"
    BAD_YEAR = "bad_year"  # no year, or an age outside what the chat accepts
    UNKNOWN_GROUP = "unknown_group"
    UNDER_AGE = "under_age"  # under 16 outside the one group open to them
    UNKNOWN_COMMUNE = "unknown_commune"
    BAD_DATE = "bad_date"  # not a date, or after today
    NO_CRITERIA = "no_criteria"  # no criteria set covers the form's year
    NOT_A_NUMBER = "not_a_number"
    SEVERAL_NUMBERS = "several_numbers"
    OUT_OF_RANGE = "out_of_range"
    NOT_AN_OPTION = "not_an_option"


# The fields of a form besides the indicators (whose field is the indicator's id).
NAME, BIRTH_YEAR, GROUP, COMMUNE, PLACE, FORM_DATE, NOTE = (
    "name",
    "birth_year",
    "group",
    "commune",
    "place",
    "form_date",
    "note",
)


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # one of the names above, or an indicator id
    trouble: Trouble
    value: str  # as written


@dataclass(frozen=True, slots=True)
class Written:
    """A form as the officer copies it: every field as written (a spreadsheet's cell may
    already be a number or a date)."""

    full_name: object
    birth_year: object
    group: object
    commune: object
    place: object
    form_date: object
    answers: Mapping[str, object]  # indicator id -> as written
    note: object = ""


@dataclass(frozen=True, slots=True)
class Answered:
    option_id: str | None
    raw_value: float | None
    points: int


@dataclass(frozen=True, slots=True)
class Form:
    """A form that reads: the person, where they live, the form's date and every answer."""

    full_name: str
    birth_year: int
    target_group: str
    commune_code: str
    place: str | None  # a unit of the commune's list or a village as written
    form_date: date
    answers: dict[str, Answered] = field(default_factory=dict)
    note: str = ""

    @property
    def year(self) -> int:
        return self.form_date.year

    @property
    def minor(self) -> bool:
        return self.year - self.birth_year < GUARDIAN_AGE


def text_of(value: object) -> str:
    """A cell or field as text: whole numbers without ".0", control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value))


def read(content: Content, written: Written, today: date) -> Form | list[Problem]:
    """The form, or every problem with it (each field checked, not only the first)."""
    return Reader(content, today).read(written)


class Reader:
    """Reads forms against one content and day. A village's workbook repeats the same few
    answers, communes and groups thousands of times: each distinct text is read once."""

    def __init__(self, content: Content, today: date) -> None:
        self.content, self.today = content, today
        self.vocabulary = Vocabulary(content.replies.particle_words)
        self._seen: dict[tuple[str, ...], Any] = {}

    def _once(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        if key not in self._seen:
            self._seen[key] = compute()
        return self._seen[key]

    def read(self, written: Written) -> Form | list[Problem]:
        """The form, or every problem with it (each field checked, not only the first)."""
        content, today = self.content, self.today
        problems: list[Problem] = []

        def bad(name: str, trouble: Trouble, value: object) -> None:
            problems.append(Problem(name, trouble, text_of(value)))

        name = " ".join(text_of(written.full_name).split())
        if not name:
            bad(NAME, Trouble.MISSING, written.full_name)
        elif len(name) > NAME_MAX:
            bad(NAME, Trouble.TOO_LONG, written.full_name)
        form_date = _date(written.form_date)
        if form_date is None or form_date > today:
            bad(FORM_DATE, Trouble.BAD_DATE, written.form_date)
        year = form_date.year if form_date is not None else today.year
        birth_year = _birth_year(written.birth_year, year)
        if birth_year is None:
            bad(BIRTH_YEAR, Trouble.BAD_YEAR, written.birth_year)
        typed = text_of(written.commune)
        commune = self._once(("commune", typed), lambda: commune_of(content, typed))
        if commune is None:
            bad(COMMUNE, Trouble.UNKNOWN_COMMUNE if typed else Trouble.MISSING, written.commune)
        place = " ".join(text_of(written.place).split()) or None
        if place is not None and len(place) > NAME_MAX:
            bad(PLACE, Trouble.TOO_LONG, written.place)
        note = text_of(written.note)
        if len(note) > NOTE_MAX:
            bad(NOTE, Trouble.TOO_LONG, written.note)
        try:
            groups = content.groups(year)
        except KeyError:
            bad(FORM_DATE, Trouble.NO_CRITERIA, written.form_date)
            return problems
        typed = text_of(written.group)
        group = self._once(("group", str(year), typed), lambda: group_of(groups, typed))
        if group is None:
            bad(GROUP, Trouble.UNKNOWN_GROUP if typed else Trouble.MISSING, written.group)
            return problems
        if birth_year is not None and year - birth_year < GUARDIAN_AGE and group.id != LEARNERS:
            bad(BIRTH_YEAR, Trouble.UNDER_AGE, written.birth_year)
        answers: dict[str, Answered] = {}
        for indicator in group.indicators:
            given = written.answers.get(indicator.id)
            text = text_of(given)
            read_ = self._once(
                ("answer", group.set_id, group.id, indicator.id, text),
                lambda indicator=indicator, text=text: answer_of(indicator, text, self.vocabulary),
            )
            if isinstance(read_, Trouble):
                bad(indicator.id, read_, given)
            else:
                answers[indicator.id] = read_
        if problems:
            return problems
        assert form_date is not None and birth_year is not None and commune is not None
        return Form(name, birth_year, group.id, commune, place, form_date, answers, note)


def answer_of(indicator: Indicator, text: str, vocabulary: Vocabulary) -> Answered | Trouble:
    """One indicator's answer as the chat reads it: a number within its range (digits or
    words for small numbers), or an option by its number or label."""
    if not text:
        return Trouble.MISSING
    number = indicator.number_input
    if number is not None:
        value = read_number(text, number.max_value)
        if value is NumberProblem.NONE:
            return Trouble.NOT_A_NUMBER
        if value is NumberProblem.SEVERAL:
            return Trouble.SEVERAL_NUMBERS
        if value is NumberProblem.OUT_OF_RANGE:
            return Trouble.OUT_OF_RANGE
        assert isinstance(value, float)
        return Answered(None, value, number.points_for(value))
    labels = [option.label.vi for option in indicator.options]
    chosen = match_choice(text, labels, vocabulary)
    if chosen is None:
        return Trouble.NOT_AN_OPTION
    option = indicator.options[chosen]
    return Answered(option.id, None, option.points)


def group_of(groups: list[CriteriaGroup], text: str) -> CriteriaGroup | None:
    """A target group by its id or its title, accents optional."""
    key = normalize(text)
    return next(
        (g for g in groups if key and key in (g.id, normalize(g.title.vi), normalize(g.title.en))),
        None,
    )


_PREFIX = re.compile(r"^(xa|phuong|dac khu)\s+")


def commune_of(content: Content, text: str) -> str | None:
    """A commune's code from its code or its official name (with or without "Xã"/"Phường",
    accents optional)."""
    communes = content.units.communes
    if text in communes:
        return text
    key = normalize(text)
    if not key:
        return None
    for code, commune in communes.items():
        name = normalize(commune.name)
        if key in (name, _PREFIX.sub("", name)):
            return code
    return None


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def _date(value: object) -> date | None:
    """A date from a spreadsheet's date cell, "31/12/2026" as Vietnamese write it, or
    "2026-12-31"."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    found = _DMY.match(text)
    parts = (found.group(3), found.group(2), found.group(1)) if found else None
    if parts is None and (iso := _YMD.match(text)):
        parts = iso.groups()
    if parts is None:
        return None
    try:
        return date(*map(int, parts))
    except ValueError:
        return None


def _birth_year(value: object, year: int) -> int | None:
    text = text_of(value)
    if not text.isdigit():
        return None
    born = int(text)
    return born if year - MAX_AGE <= born <= year - MIN_AGE else None


# The workbook's fixed columns (the file's format, in Vietnamese whatever the reader's
# language), and the fields they hold.
COLUMNS = {
    NAME: "Họ và tên",
    BIRTH_YEAR: "Năm sinh",
    GROUP: "Nhóm",
    COMMUNE: "Xã/phường",
    PLACE: "Thôn/tổ/đơn vị",
    FORM_DATE: "Ngày đánh giá",
}
NOTE_COLUMN = "Ghi chú"
INDICATOR_COLUMN = "Chỉ số {n}"

TROUBLES = {
    Trouble.MISSING: N_("chưa ghi"),
    Trouble.TOO_LONG: N_("'{value}' quá dài"),
    Trouble.BAD_YEAR: N_("'{value}' không phải năm sinh hợp lệ"),
    Trouble.UNDER_AGE: N_("người dưới 16 tuổi chỉ thuộc nhóm học sinh, sinh viên, học viên"),
    Trouble.UNKNOWN_GROUP: N_("'{value}' không phải nhóm đối tượng nào"),
    Trouble.UNKNOWN_COMMUNE: N_("'{value}' không phải xã, phường nào của tỉnh"),
    Trouble.BAD_DATE: N_("'{value}' không phải ngày hợp lệ (ngày/tháng/năm, không sau hôm nay)"),
    Trouble.NO_CRITERIA: N_("chưa có bộ tiêu chí cho năm của ngày đánh giá"),
    Trouble.NOT_A_NUMBER: N_("'{value}' không phải số"),
    Trouble.SEVERAL_NUMBERS: N_("'{value}' có nhiều hơn một số"),
    Trouble.OUT_OF_RANGE: N_("'{value}' nằm ngoài khoảng cho phép của chỉ số này"),
    Trouble.NOT_AN_OPTION: N_("'{value}' không phải câu trả lời nào của chỉ số này"),
}


def column_of(field_name: str) -> str:
    """The column (or form field) a problem is in, as the workbook names it."""
    if field_name in COLUMNS:
        return COLUMNS[field_name]
    if field_name == NOTE:
        return NOTE_COLUMN
    return INDICATOR_COLUMN.format(n=field_name.removeprefix("I"))


def describe(t: Translator, problem: Problem) -> str:
    """What is wrong, in the reader's language: "'mười một' không phải số"."""
    return t._(TROUBLES[problem.trouble]).format(value=problem.value)
