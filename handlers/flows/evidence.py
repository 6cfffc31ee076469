"""The citizen's evidence, sent to an officer as the files themselves."""

from __future__ import annotations

from handlers.actions import Refused
from handlers.actions import review as act
from handlers.context import Context, steps
from handlers.events import Attachment, Reply
from handlers.flows.common import me, work
from handlers.flows.results import group_of
from handlers.flows.review import actions, refusal
from storage.repositories.reviews import AWAITING


async def send(ctx: Context, assessment_id: int) -> None:
    """The citizen's evidence files, each captioned with its indicator, then what to do."""
    try:
        case = await act.evidence(work(ctx), me(ctx), assessment_id)
    except Refused as refused:
        refusal(ctx, refused)
        await steps.enter(ctx)
        return
    a, citizen = case.assessment, case.citizen
    group = group_of(ctx, a)
    items = [
        (group.indicator(answer.indicator_id), item)
        for answer in sorted(a.answers, key=lambda x: group.indicator(x.indicator_id).number)
        for item in answer.evidence
    ]
    files = [(ind, item) for ind, item in items if "ref" in item]
    # Learning the bot suggested and the citizen finished: a link, not a file.
    resources = {r.id: r for r in ctx.content.resources}
    learned = [
        ctx._("Chỉ số {number}: đã học xong {title} ({url})").format(
            number=ind.number,
            title=ctx.t.text(resources[item["resource"]].title)
            if item["resource"] in resources
            else item["name"],
            url=item["url"],
        )
        for ind, item in items
        if "resource" in item
    ]
    # A platform's file reference means nothing on another platform.
    here = [(ind, item) for ind, item in files if item.get("channel") == ctx.event.channel]
    for n, (indicator, item) in enumerate(here, start=1):
        caption = ctx._("Chỉ số {number}, minh chứng {n}/{count}").format(
            number=indicator.number, n=n, count=len(here)
        )
        attachment = Attachment(
            ref=item["ref"], kind=item.get("kind", "document"), name=item.get("name", "")
        )
        ctx.replies.append(Reply(caption, attachment=attachment, about_user_id=citizen.user_id))
    if not items:
        text = ctx._("{name} chưa gửi minh chứng nào.").format(name=citizen.full_name)
    else:
        text = ctx._("Đã gửi {count} tệp minh chứng của {name}.").format(
            count=len(here), name=citizen.full_name
        )
    if len(files) > len(here):
        text += "\n" + ctx._(
            "{count} tệp được gửi qua kênh khác nên không chuyển được tới đây."
        ).format(count=len(files) - len(here))
    if learned:
        text += "\n" + "\n".join(learned)
    waiting = a.status in AWAITING
    ctx.replies.append(
        Reply(text, actions(ctx.t, a.id) if waiting else (), about_user_id=citizen.user_id)
    )
