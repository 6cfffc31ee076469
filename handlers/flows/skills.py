"""The digital-skills check: one practical question at a time, then a level per area and
overall, compared with the person's previous check. Each answer is saved as it is given, so
a paused check resumes where it stopped."""

from __future__ import annotations

from content.digital_skills import DigitalSkills, SkillsResult
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows import learning, menu
from handlers.flows.common import pick
from storage.models import SkillCheck
from storage.repositories import skills as checks

FLOW = "skills"


def _framework(ctx: Context) -> DigitalSkills:
    return ctx.content.digital_skills


async def begin(ctx: Context) -> None:
    """From the menu: resume a check in progress, or offer a new one."""
    check = await checks.in_progress(ctx.session, ctx.user.id)
    if check is not None and check.framework_version == _framework(ctx).version:
        await ctx.go(FLOW, "question", i=_first_unanswered(ctx, check))
        return
    await ctx.go(FLOW, "intro")


def _first_unanswered(ctx: Context, check: SkillCheck) -> int:
    questions = _framework(ctx).questions()
    return next((i for i, (_, q) in enumerate(questions) if q.id not in check.answers), 0)


@steps.step(FLOW, "intro")
class Intro:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx._("Bắt đầu"), "start"), Button(ctx._("Để sau"), "later")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        framework = _framework(ctx)
        lines = [ctx.t.text(framework.title).upper(), ctx.t.text(framework.intro)]
        last = await checks.latest_finished(ctx.session, ctx.user.id)
        if last is not None and last.finished_at is not None and last.overall is not None:
            lines.append(
                ctx._("Lần kiểm tra trước ({date}): {level}.").format(
                    date=ctx.t.date(last.finished_at),
                    level=ctx.t.text(framework.level(last.overall).title),
                )
            )
        ctx.say("\n\n".join(lines), Intro.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Intro.buttons(ctx))
        if choice == "later":
            await menu.show(ctx)
        elif choice == "start":
            stale = await checks.in_progress(ctx.session, ctx.user.id)
            if stale is not None:  # begun on an older version of the questions
                await ctx.session.delete(stale)
            ctx.session.add(
                SkillCheck(
                    user_id=ctx.user.id,
                    framework_version=_framework(ctx).version,
                    answers={},
                    levels={},
                    started_at=ctx.now,
                )
            )
            ctx.audit("skills.started")
            await ctx.go(FLOW, "question", i=0)


@steps.step(FLOW, "question")
class Question:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        i = ctx.data["i"]
        # The question's number is in the payload: a press on an earlier question's
        # buttons is refused instead of answering this one.
        scale = [Button(ctx.t.text(p.label), f"{i}:{p.points}") for p in _framework(ctx).scale]
        back = [Button(ctx._("« Quay lại"), "back")] if i > 0 else []
        return [*scale, *back, Button(ctx._("Tạm dừng"), "pause")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        questions = _framework(ctx).questions()
        area, question = questions[ctx.data["i"]]
        ctx.say(
            "\n".join(
                [
                    ctx._("Câu {n}/{total} · {area}").format(
                        n=ctx.data["i"] + 1, total=len(questions), area=ctx.t.text(area.title)
                    ),
                    "",
                    ctx._("Anh/Chị có làm được việc này không?"),
                    ctx.t.text(question.text),
                ]
            ),
            Question.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Question.buttons(ctx))
        if choice is None:
            return
        i = ctx.data["i"]
        if choice == "pause":
            ctx.say(ctx._("Đã lưu các câu trả lời. Chọn lại mục này trong menu để làm tiếp."))
            await menu.show(ctx)
            return
        if choice == "back":
            await ctx.go(FLOW, "question", i=i - 1)
            return
        check = await checks.in_progress(ctx.session, ctx.user.id)
        if check is None:  # finished or erased meanwhile (another device, an old chat)
            await begin(ctx)
            return
        questions = _framework(ctx).questions()
        # A new dict, so that the JSON column sees the change.
        check.answers = {**check.answers, questions[i][1].id: int(choice.partition(":")[2])}
        if i + 1 < len(questions):
            await ctx.go(FLOW, "question", i=i + 1)
        else:
            await _finish(ctx, check)


async def _finish(ctx: Context, check: SkillCheck) -> None:
    framework = _framework(ctx)
    previous = await checks.latest_finished(ctx.session, ctx.user.id)
    result = framework.result(check.answers)
    check.levels = result.areas
    check.overall = result.overall
    check.finished_at = ctx.now
    ctx.audit("skills.finished", subject=framework.version, overall=result.overall)
    ctx.say(_result_text(ctx, result, previous))
    if await learning.suggest(ctx, learning.area_needs(ctx, result.areas)):
        await learning.show(ctx)
    else:
        await menu.show(ctx)


def _result_text(ctx: Context, result: SkillsResult, previous: SkillCheck | None) -> str:
    framework = _framework(ctx)

    def title(level_id: str) -> str:
        return ctx.t.text(framework.level(level_id).title)

    same_version = previous is not None and previous.framework_version == framework.version
    lines = [ctx._("KẾT QUẢ KIỂM TRA KỸ NĂNG SỐ")]
    for area in framework.areas:
        level = result.areas[area.id]
        line = f"- {ctx.t.text(area.title)}: {title(level)}"
        if same_version and previous is not None:
            before = previous.levels.get(area.id)
            if before is not None and before != level:
                line += ctx._(" (lần trước: {level})").format(level=title(before))
        lines.append(line)
    lines.append(ctx._("Mức chung: {level}").format(level=title(result.overall)))
    if previous is not None and previous.overall is not None and previous.finished_at:
        change = framework.rank(result.overall) - framework.rank(previous.overall)
        text = (
            ctx._("Tiến bộ so với lần trước ({date}): {before} → {now}.")
            if change > 0
            else ctx._("Lần trước ({date}): {before}; lần này: {now}.")
        )
        lines.append(
            text.format(
                date=ctx.t.date(previous.finished_at),
                before=title(previous.overall),
                now=title(result.overall),
            )
        )
    lines += [
        "",
        ctx._(
            "Mức chung là mức thấp nhất trong các lĩnh vực. Đây là kết quả tự đánh giá, "
            "dùng để gợi ý nội dung nên học."
        ),
    ]
    return "\n".join(lines)
