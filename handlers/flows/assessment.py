"""The yearly self-assessment: one indicator at a time, evidence, a summary, submission."""

from __future__ import annotations

from dataclasses import replace

from content import CriteriaGroup, Indicator
from handlers.context import Context, EventFn, StepFn, steps
from handlers.events import Button, Event, EventKind, FileRef
from handlers.flows import evidence_limits, learning, menu, notices
from handlers.flows.common import pick, reprompt, typed_text, vocabulary
from handlers.flows.results import evaluate, group_of, summary
from handlers.input import NumberProblem, match_choice, read_number
from handlers.scores import own_points
from storage.models import Answer, Assessment, AssessmentStatus
from storage.repositories import chats

FLOW = "assess"
MAX_EVIDENCE = 10


async def begin(ctx: Context) -> None:
    """From the menu: start this year's assessment, continue it, or show it if locked. A new
    one starts from the answers of last year's if that one was never submitted."""
    assert ctx.profile is not None and ctx.profile.target_group
    a = ctx.assessment
    intro: str | None = None
    if a is None:
        carried = await _unsubmitted_last_year(ctx)
        group = ctx.content.criteria_for(ctx.profile.target_group, ctx.year)
        a = Assessment(
            user_id=ctx.user.id,
            year=ctx.year,
            criteria_set_id=group.set_id,
            criteria_set_version=group.set_version,
            target_group=group.id,
            status=AssessmentStatus.DRAFT,
            created_at=ctx.now,
            updated_at=ctx.now,
            answers=[],
            source="assisted" if ctx.assisted_by else "chat",
            entered_by=ctx.assisted_by,
        )
        ctx.session.add(a)
        ctx.assessment = a
        ctx.audit("assessment.started", subject=f"{group.set_id}/{group.id}/{ctx.year}")
        intro = ctx._(
            "Bắt đầu tự đánh giá năm {year}: 10 chỉ số, mỗi chỉ số tối đa 10 điểm. "
            "Anh/Chị có thể tạm dừng bất cứ lúc nào; câu trả lời được lưu lại."
        ).format(year=ctx.year)
        if carried is not None and _carry(ctx, carried, a, group):
            ctx.say(intro)
            intro = None
            ctx.say(
                ctx._(
                    "Bản tự đánh giá năm {last} chưa được nộp nên đã khép lại; các câu trả lời "
                    "của năm đó đã được chép sang. Anh/Chị xem lại từng chỉ số, sửa chỗ đã khác "
                    "đi trong năm nay, rồi nộp."
                ).format(last=carried.year)
            )
    if not a.is_editable:
        await ctx.go(FLOW, "locked")
        return
    indicators = group_of(ctx, a).indicators
    if a.status == AssessmentStatus.RETURNED:
        # Straight to what the association asked to correct, then back to the summary.
        first = next(i for i, ind in enumerate(indicators) if a.may_change(ind.id))
        await ctx.go(FLOW, "question", i=first, review=True)
        return
    answered = {x.indicator_id for x in a.answers}
    pending = [i for i, ind in enumerate(group_of(ctx, a).indicators) if ind.id not in answered]
    if pending:
        await ctx.go(FLOW, "question", i=pending[0])
    else:
        await ctx.go(FLOW, "summary")
    if intro:
        # One message, not two: the start's words ride on the first question.
        ctx.replies[-1] = replace(ctx.replies[-1], text=f"{intro}\n\n{ctx.replies[-1].text}")


def _carry(ctx: Context, old: Assessment, new: Assessment, group: CriteriaGroup) -> bool:
    """Copy ``old``'s answers into ``new`` where this year's criteria still ask the same
    (scored again by them); whether any was copied."""
    for old_answer in old.answers:
        indicator = next((i for i in group.indicators if i.id == old_answer.indicator_id), None)
        if indicator is None:
            continue
        if indicator.number_input is not None and old_answer.raw_value is not None:
            points = indicator.number_input.points_for(old_answer.raw_value)
        else:
            option = next((o for o in indicator.options if o.id == old_answer.option_id), None)
            if option is None:
                continue
            points = option.points
        answer = _save(
            ctx,
            new,
            indicator,
            option_id=old_answer.option_id,
            raw_value=old_answer.raw_value,
            points=points,
        )
        answer.evidence = list(old_answer.evidence)
    return bool(new.answers)


def _this_years(cls: type) -> type:
    """For a step about this year's assessment. At midnight on 31 December (Vietnam time) a
    conversation may still stand on one of last year's, which is no longer ``ctx.assessment``:
    the person is told the year changed and offered this year's, rather than an error."""
    enter: StepFn = cls.enter  # type: ignore[attr-defined]
    handle: EventFn = cls.handle  # type: ignore[attr-defined]

    async def guarded_enter(ctx: Context) -> None:
        if ctx.assessment is None:
            await ctx.go(FLOW, "new_year")
        else:
            await enter(ctx)

    async def guarded_handle(ctx: Context, event: Event) -> None:
        if ctx.assessment is None:
            await ctx.go(FLOW, "new_year")
        else:
            await handle(ctx, event)

    cls.enter = staticmethod(guarded_enter)  # type: ignore[attr-defined]
    cls.handle = staticmethod(guarded_handle)  # type: ignore[attr-defined]
    return cls


@steps.step(FLOW, "new_year")
class NewYear:
    """The year changed under a person in the assessment: this year's may begin, from last
    year's answers when that one was never submitted."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Tự đánh giá năm {year}").format(year=ctx.year), "start"),
            Button(ctx._("Về trang chính"), "*menu"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        last = await _unsubmitted_last_year(ctx)
        if last is not None:
            text = ctx._(
                "Đã sang năm {year}. Bản tự đánh giá năm {last} chưa được nộp nên nay đã khép "
                "lại. Anh/Chị có thể tự đánh giá năm {year}, bắt đầu từ các câu trả lời năm "
                "{last} để xác nhận hoặc sửa."
            ).format(year=ctx.year, last=last.year)
        else:
            text = ctx._(
                "Đã sang năm {year}. Anh/Chị có thể bắt đầu tự đánh giá năm {year}."
            ).format(year=ctx.year)
        ctx.say(text, NewYear.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, NewYear.buttons(ctx))
        if choice == "start":
            await begin(ctx)
        elif choice is not None:
            await commands.run_payload(ctx, choice)


async def _unsubmitted_last_year(ctx: Context) -> Assessment | None:
    last = await chats.latest_assessment_before(ctx.session, ctx.user.id, ctx.year)
    return last if last is not None and last.is_editable else None


def _current(ctx: Context) -> tuple[Assessment, CriteriaGroup, Indicator]:
    a = ctx.assessment
    assert a is not None
    group = group_of(ctx, a)
    return a, group, group.indicators[ctx.data["i"]]


def _answer_text(ctx: Context, indicator: Indicator, answer: Answer) -> str:
    option = next((o for o in indicator.options if o.id == answer.option_id), None)
    if option is not None:
        return ctx.t.text(option.label)
    assert indicator.number_input is not None and answer.raw_value is not None
    return f"{ctx.t.number(answer.raw_value)} {ctx.t.text(indicator.number_input.unit)}"


def _answer_for(a: Assessment, indicator_id: str) -> Answer | None:
    return next((x for x in a.answers if x.indicator_id == indicator_id), None)


async def _guard_editable(ctx: Context) -> bool:
    """Answers are locked from submission until the association returns the assessment:
    checked on every write, whatever the buttons on screen say."""
    if ctx.assessment is not None and ctx.assessment.is_editable:
        return True
    await ctx.go(FLOW, "locked")
    return False


async def _guard_indicator(ctx: Context, a: Assessment, indicator: Indicator) -> bool:
    """A returned assessment changes only where the association asked, whatever was
    pressed."""
    if a.may_change(indicator.id):
        return True
    group = group_of(ctx, a)
    ctx.say(
        ctx._("Chỉ số {n} không cần sửa. Hội Khuyến học chỉ trả lại: {list}.").format(
            n=indicator.number, list=", ".join(str(group.indicator(i).number) for i in a.reopened)
        )
    )
    await ctx.go(FLOW, "summary")
    return False


async def _next_after(ctx: Context, index: int, *, answered: bool = False) -> None:
    """On to the next question, or to the summary after the last one or a correction. After
    an answer the next prompt says what was recorded and takes a file for it as evidence
    (`proof`): no separate evidence step to tap through."""
    _a, group, _ = _current(ctx)
    proof = {"proof": index} if answered else {}
    if ctx.data.get("review") or index + 1 >= len(group.indicators):
        await ctx.go(FLOW, "summary", **proof)
    else:
        await ctx.go(FLOW, "question", i=index + 1, **proof)


def _recorded(ctx: Context) -> list[str]:
    """The line saying what the previous answer recorded (not every channel shows the
    pressed button) and, where it earned points, that a photo of proof is welcome now."""
    a = ctx.assessment
    index = ctx.data.get("proof")
    if a is None or index is None:
        return []
    indicator = group_of(ctx, a).indicators[index]
    answer = _answer_for(a, indicator.id)
    if answer is None:
        return []
    line = ctx._("Đã ghi chỉ số {n}: {answer} ({points} điểm).").format(
        n=indicator.number, answer=_answer_text(ctx, indicator, answer), points=answer.points
    )
    if answer.points > 0 and not answer.evidence:
        line += " " + ctx._(
            "Nếu có minh chứng ({hint}), Anh/Chị gửi ảnh ngay tại đây (không bắt buộc)."
        ).format(hint=ctx.t.text(indicator.evidence_hint))
    return [line, ""]


async def _proof_sent(ctx: Context, buttons: list[Button], number_answer: bool = False) -> bool:
    """A file sent right after an answer: evidence for that answer's indicator. Whether the
    event was one (then it has been answered)."""
    a = ctx.assessment
    index = ctx.data.get("proof")
    if ctx.event.kind is not EventKind.FILE or ctx.event.file is None or index is None:
        return False
    assert a is not None
    indicator = group_of(ctx, a).indicators[index]
    answer = _answer_for(a, indicator.id)
    if answer is None or not a.may_change(indicator.id):
        return False
    ctx.say(_attach(ctx, indicator, answer, ctx.event.file), buttons, number_answer=number_answer)
    return True


def _attach(ctx: Context, indicator: Indicator, answer: Answer, f: FileRef) -> str:
    """Keep a file as evidence of an answer, if it may be kept; what to tell the person."""
    if len(answer.evidence) >= MAX_EVIDENCE:
        return ctx._("Mỗi chỉ số nhận tối đa 10 tệp minh chứng.")
    if (refused := evidence_limits.refusal(ctx, f)) is not None:
        ctx.audit("evidence.refused", mime=f.mime[:64], size=f.size)
        return refused
    # A new list, so the change is seen and saved (JSON columns do not track edits).
    answer.evidence = [
        *answer.evidence,
        {
            "ref": f.ref,
            "mime": f.mime,
            "size": f.size,
            "name": f.name,
            "kind": f.kind,
            "channel": ctx.event.channel,
            "at": ctx.now.isoformat(),
        },
    ]
    return ctx._("Đã nhận minh chứng cho chỉ số {n} ({count} tệp).").format(
        n=indicator.number, count=len(answer.evidence)
    )


@steps.step(FLOW, "question")
@_this_years
class Question:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        _, _, indicator = _current(ctx)
        options = [
            Button(ctx.t.text(o.label), f"{indicator.id}:{n}")
            for n, o in enumerate(indicator.options)
        ]
        # Beside a number question the controls are words: a typed number is the answer.
        word = indicator.number_input is not None
        back = [Button(ctx._("« Quay lại"), "back", word)] if ctx.data["i"] > 0 else []
        return [
            *options,
            *back,
            Button(ctx._("Bỏ qua"), "skip", word),
            Button(ctx._("Tạm dừng"), "pause", word),
        ]

    @staticmethod
    def number_answer(ctx: Context) -> bool:
        return _current(ctx)[2].number_input is not None

    @staticmethod
    async def enter(ctx: Context) -> None:
        a, group, indicator = _current(ctx)
        t = ctx.t
        lines = [
            *_recorded(ctx),
            t.text(group.competency(indicator.competency).title),
            ctx._("Chỉ số {n}/{total}: {title}").format(
                n=indicator.number, total=len(group.indicators), title=t.text(indicator.title)
            ),
            "",
            t.text(indicator.question),
        ]
        if indicator.number_input is not None:
            lines.append(
                ctx._("Anh/Chị gõ một con số ({unit}).").format(
                    unit=t.text(indicator.number_input.unit)
                )
            )
        previous = _answer_for(a, indicator.id)
        if previous is not None:
            lines.append(
                ctx._("(Câu trả lời hiện tại: {points} điểm)").format(points=previous.points)
            )
        ctx.say(
            "\n".join(lines),
            Question.buttons(ctx),
            number_answer=indicator.number_input is not None,
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if not await _guard_editable(ctx):
            return
        a, _, indicator = _current(ctx)
        if not await _guard_indicator(ctx, a, indicator):
            return
        index = ctx.data["i"]
        if await _proof_sent(ctx, Question.buttons(ctx), Question.number_answer(ctx)):
            return
        text = typed_text(ctx)
        reading: float | NumberProblem = NumberProblem.NONE
        # "tam dung" is Tạm dừng, not eight ("tám"): a control's words come first.
        if indicator.number_input is not None and text and not _names_control(ctx, text):
            reading = read_number(text, indicator.number_input.max_value)
        if reading is NumberProblem.SEVERAL or reading is NumberProblem.OUT_OF_RANGE:
            await reprompt(ctx, _number_expected(ctx, indicator, reading))
            return
        if isinstance(reading, float) and indicator.number_input is not None:
            value = reading
            _save(
                ctx,
                a,
                indicator,
                option_id=None,
                raw_value=value,
                points=indicator.number_input.points_for(value),
            )
            await _next_after(ctx, index, answered=True)
            return
        expected = (
            None
            if indicator.number_input is None
            else _number_expected(ctx, indicator, NumberProblem.NONE)
        )
        choice = await pick(ctx, Question.buttons(ctx), expected)
        if choice is None:
            return
        if choice == "back":
            await ctx.go(FLOW, "question", i=max(index - 1, 0))
        elif choice == "skip":
            await _next_after(ctx, index)
        elif choice == "pause":
            ctx.say(
                ctx._(
                    "Đã lưu các câu trả lời. Khi nào tiện, Anh/Chị gõ /menu và chọn "
                    '"Tiếp tục tự đánh giá".'
                )
            )
            await menu.show(ctx)
        else:
            option = indicator.options[int(choice.rsplit(":", 1)[1])]
            _save(ctx, a, indicator, option_id=option.id, raw_value=None, points=option.points)
            await _next_after(ctx, index, answered=True)


def _names_control(ctx: Context, text: str) -> bool:
    labels = [b.label for b in Question.buttons(ctx)]
    # Any digit makes it a number ("-3" is no control's number 3).
    if any(ch.isdigit() for ch in text):
        return False
    return match_choice(text, labels, vocabulary(ctx)) is not None


def _number_expected(ctx: Context, indicator: Indicator, problem: NumberProblem) -> str:
    """The one line that says which number is wanted."""
    assert indicator.number_input is not None
    number = indicator.number_input
    unit, high = ctx.t.text(number.unit), ctx.t.number(number.max_value)
    if problem is NumberProblem.SEVERAL:
        return ctx._("Anh/Chị gõ một số thôi ({unit}), từ 0 đến {high}.").format(
            unit=unit, high=high
        )
    return ctx._("Anh/Chị gõ một số từ 0 đến {high} ({unit}).").format(high=high, unit=unit)


def _save(
    ctx: Context,
    a: Assessment,
    indicator: Indicator,
    *,
    option_id: str | None,
    raw_value: float | None,
    points: int,
) -> Answer:
    answer = _answer_for(a, indicator.id)
    if answer is None:
        answer = Answer(indicator_id=indicator.id, evidence=[], answered_at=ctx.now)
        a.answers.append(answer)
    answer.option_id = option_id
    answer.raw_value = raw_value
    answer.points = points
    answer.entered_by = ctx.assisted_by
    answer.answered_at = ctx.now
    a.updated_at = ctx.now
    return answer


@steps.step(FLOW, "evidence")
@_this_years
class Evidence:
    """Evidence for one indicator, chosen from the summary ("Thêm minh chứng")."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Xong"), "next")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        _, _, indicator = _current(ctx)
        ctx.say(
            ctx._(
                "Minh chứng cho chỉ số {n}. Gợi ý: {hint}\n"
                'Anh/Chị gửi ảnh hoặc tệp tại đây, xong thì bấm "Xong".'
            ).format(n=indicator.number, hint=ctx.t.text(indicator.evidence_hint)),
            Evidence.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if not await _guard_editable(ctx):
            return
        a, _, indicator = _current(ctx)
        if not await _guard_indicator(ctx, a, indicator):
            return
        answer = _answer_for(a, indicator.id)
        if event.kind is EventKind.FILE and event.file is not None and answer is not None:
            ctx.say(_attach(ctx, indicator, answer, event.file), Evidence.buttons(ctx))
            return
        if await pick(ctx, Evidence.buttons(ctx)) == "next":
            await ctx.go(FLOW, "summary")


@steps.step(FLOW, "summary")
@_this_years
class Summary:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        a = ctx.assessment
        assert a is not None
        complete = not evaluate(ctx, a).missing
        first = (
            Button(ctx._("Nộp bản tự đánh giá"), "submit")
            if complete
            else Button(ctx._("Trả lời tiếp"), "continue")
        )
        proof = [Button(ctx._("Thêm minh chứng"), "proof")] if a.answers else []
        return [
            first,
            Button(ctx._("Sửa câu trả lời"), "change"),
            *proof,
            Button(ctx._("Tạm dừng"), "pause"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        assert ctx.assessment is not None
        lines = _recorded(ctx)
        ctx.say("\n".join([*lines, summary(ctx, ctx.assessment)]), Summary.buttons(ctx))

    @staticmethod
    def brief(ctx: Context) -> str | None:
        """Where the person is, in a line: what /help and the like show instead of it all."""
        a = ctx.assessment
        if a is None:  # the year changed: the step's prompt says so
            return None
        result = evaluate(ctx, a)
        return ctx._(
            "Bản tự đánh giá năm {year}: {total} điểm, còn {missing} chỉ số chưa trả lời."
        ).format(year=a.year, total=result.total, missing=len(result.missing))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if not await _guard_editable(ctx):
            return
        if await _proof_sent(ctx, Summary.buttons(ctx)):
            return
        choice = await pick(ctx, Summary.buttons(ctx))
        if choice == "submit":
            await ctx.go(FLOW, "confirm")
        elif choice == "continue":
            await begin(ctx)
        elif choice == "change":
            await ctx.go(FLOW, "change")
        elif choice == "proof":
            await ctx.go(FLOW, "change", proof=True)
        elif choice == "pause":
            await menu.show(ctx)


@steps.step(FLOW, "change")
@_this_years
class Change:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        a = ctx.assessment
        assert a is not None
        answered = {x.indicator_id for x in a.answers}
        return [
            Button(f"{ind.number}. {ctx.t.text(ind.title)}", f"i{n}")
            for n, ind in enumerate(group_of(ctx, a).indicators)
            if a.may_change(ind.id) and (not ctx.data.get("proof") or ind.id in answered)
        ] + [Button(ctx._("« Quay lại"), "back")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        question = (
            ctx._("Anh/Chị thêm minh chứng cho chỉ số nào?")
            if ctx.data.get("proof")
            else ctx._("Anh/Chị muốn sửa chỉ số nào?")
        )
        ctx.say(question, Change.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if not await _guard_editable(ctx):
            return
        choice = await pick(ctx, Change.buttons(ctx))
        if choice == "back":
            await ctx.go(FLOW, "summary")
        elif choice is not None:
            step = "evidence" if ctx.data.get("proof") else "question"
            await ctx.go(FLOW, step, i=int(choice[1:]), review=True)


@steps.step(FLOW, "confirm")
@_this_years
class Confirm:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Nộp ngay"), "yes"), Button(ctx._("Chưa nộp"), "no")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        assert ctx.assessment is not None
        warning = falling_short(ctx, ctx.assessment)
        ctx.say(
            "\n".join(
                [
                    *warning,
                    ctx._(
                        "Sau khi nộp, bản tự đánh giá được gửi tới Hội Khuyến học để xác minh "
                        "và Anh/Chị không sửa được nữa, trừ khi Hội trả lại để bổ sung. "
                        "Nộp ngay?"
                    )
                    if not warning
                    else ctx._(
                        "Anh/Chị vẫn nộp bản tự đánh giá chưa đạt này? Sau khi nộp sẽ không "
                        'sửa được nữa; bấm "Chưa nộp" để xem lại và sửa câu trả lời.'
                    ),
                ]
            ),
            Confirm.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if not await _guard_editable(ctx):
            return
        choice = await pick(ctx, Confirm.buttons(ctx))
        if choice == "no":
            await ctx.go(FLOW, "summary")
        elif choice == "yes":
            await _submit(ctx)


IMPROVABLE_SHOWN = 3  # the indicators with the most points to gain, not all of them


def falling_short(ctx: Context, a: Assessment) -> list[str]:
    """Before a failing assessment is sent: that it fails, by how much, and where points
    could still come from. Nothing for one that passes."""
    result = evaluate(ctx, a)
    if result.passed:
        return []
    group = group_of(ctx, a)
    lines = [ctx._("Lưu ý: theo bộ tiêu chí, bản tự đánh giá này CHƯA ĐẠT.")]
    if "min_total" in result.failed_rules:
        lines.append(
            ctx._("Tổng điểm {total}, mức cần đạt {threshold}: còn thiếu {gap} điểm.").format(
                total=result.total,
                threshold=result.threshold,
                gap=result.threshold - result.total,
            )
        )
    if result.low_indicators:
        lines.append(
            ctx._("Chỉ số dưới mức tối thiểu {minimum} điểm: {numbers}.").format(
                minimum=group.pass_rules.min_indicator.value,
                numbers=", ".join(str(group.indicator(i).number) for i in result.low_indicators),
            )
        )
    gains = sorted(
        (
            (ind.max_points - result.per_indicator[ind.id], ind)
            for ind in group.indicators
            if ind.id in result.per_indicator and result.per_indicator[ind.id] < ind.max_points
        ),
        key=lambda gain: -gain[0],
    )[:IMPROVABLE_SHOWN]
    if gains:
        lines.append(
            ctx._("Có thể cải thiện: {items}.").format(
                items="; ".join(
                    ctx._("chỉ số {n} ({title}, thêm tới {gain} điểm)").format(
                        n=ind.number, title=ctx.t.text(ind.title), gain=gain
                    )
                    for gain, ind in gains
                )
            )
        )
    return lines


async def _submit(ctx: Context) -> None:
    a = ctx.assessment
    assert a is not None
    result = evaluate(ctx, a)
    if result.missing:  # the buttons only offer submit when complete; never trust them
        await reprompt(ctx, ctx._("Còn chỉ số chưa trả lời nên chưa nộp được."))
        return
    before, now_points = dict(a.submitted_points), own_points(a)
    # Against the last submission, if any: what the officer should look at again.
    changed = {
        i: (before.get(i), p) for i, p in now_points.items() if before and before.get(i) != p
    }
    a.status = AssessmentStatus.SUBMITTED
    a.total, a.threshold, a.passed = result.total, result.threshold, result.passed
    a.submitted_points, a.reopened = now_points, []
    a.submitted_at = ctx.now
    a.updated_at = ctx.now
    ctx.audit("assessment.submitted", subject=str(a.id), total=result.total, passed=result.passed)
    await notices.submitted(ctx, a, result, changed)
    ctx.say(
        ctx._(
            "Đã nộp bản tự đánh giá năm {year} ({total} điểm). Hội Khuyến học sẽ xem xét và "
            "báo kết quả cho Anh/Chị qua đây."
        ).format(year=a.year, total=result.total)
    )
    # The suggestions end the exchange (their "done" options must be the last ones shown).
    if await learning.suggest(ctx, learning.indicator_needs(ctx, a)):
        await learning.show(ctx)
    else:
        await menu.show(ctx)


@steps.step(FLOW, "locked")
@_this_years
class Locked:
    """A submitted or decided assessment can be read, not changed."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Về trang chính"), "*menu")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        assert ctx.assessment is not None
        ctx.say(summary(ctx, ctx.assessment), Locked.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        from handlers.flows import commands

        choice = await pick(ctx, Locked.buttons(ctx))
        if choice is not None:
            await commands.run_payload(ctx, choice)
