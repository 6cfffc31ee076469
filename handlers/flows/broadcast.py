"""Broadcasts from the chat. Staff write a text, choose whom it reaches (admins: the province
or a commune; officers: their own commune or unit only), may narrow it by target group and
this year's assessment status, see a preview with the number of recipients, and confirm.
Sending is then the runner's (bot/delivery/broadcasts.py): it keeps one progress message in
this chat up to date, with buttons to pause, resume or cancel.

Every step re-checks on the server, through the broadcast actions (handlers/actions/
broadcasts.py), whom this person may reach: whatever the buttons or the saved state say, a
segment never leaves an officer's scope. Refusals are audited.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from handlers.actions import Refused
from handlers.actions import broadcasts as act
from handlers.actions.broadcasts import MAX_TEXT
from handlers.context import Context, steps
from handlers.events import Button, Event, Reply, ReplyKind
from handlers.flows.common import go_home, me, pick, reprompt, typed_text, work
from handlers.flows.results import STATUS_TEXT
from handlers.i18n import N_, Translator
from storage.models import AssessmentStatus, Broadcast, BroadcastStatus, Unit
from storage.repositories.broadcasts import Stats
from storage.repositories.segments import NOT_STARTED, Reach, Segment

FLOW = "broadcast"
# Added to every broadcast, in each recipient's language.
FOOTER = N_("Gõ /stop để ngừng nhận thông báo.")
NOT_STARTED_TEXT = N_("chưa bắt đầu tự đánh giá")
STATE_TEXT = {
    BroadcastStatus.DRAFT: N_("bản nháp"),
    BroadcastStatus.SCHEDULED: N_("chờ đến giờ gửi"),
    BroadcastStatus.SENDING: N_("đang gửi"),
    BroadcastStatus.PAUSED: N_("tạm dừng"),
    BroadcastStatus.CANCELLED: N_("đã hủy"),
    BroadcastStatus.DONE: N_("đã gửi xong"),
}
# Button actions on the progress message ("*bcpause:<id>"), and the action each one takes.
CONTROLS = {"bcpause": act.pause, "bcresume": act.resume, "bccancel": act.cancel}


def message_text(t: Translator, text: str) -> str:
    """What a recipient reads."""
    return f"{text}\n\n{t._(FOOTER)}"


async def begin(ctx: Context) -> None:
    if await _reach(ctx) is None:
        await steps.enter(ctx)
        return
    await ctx.go(FLOW, "text")


async def _reach(ctx: Context) -> Reach | None:
    """Whom this person may write to; a refusal (noted) if nobody."""
    try:
        return await act.reach(work(ctx), me(ctx))
    except Refused:
        _refuse(ctx)
        return None


def _refuse(ctx: Context) -> None:
    ctx.say(ctx._("Anh/Chị không có quyền gửi hoặc điều khiển thông báo này."))


async def _quit(ctx: Context) -> None:
    ctx.say(ctx._("Đã hủy, không gửi gì."))
    await go_home(ctx)


def _cancel(ctx: Context) -> Button:
    return Button(ctx._("Hủy"), "cancel")


async def _allowed_segment(ctx: Context) -> Segment | None:
    """The segment saved in the conversation, if this person may still reach all of it;
    otherwise a refusal (noted) and back home."""
    segment = Segment.from_json(ctx.data.get("segment") or {})
    try:
        await act.within_reach(work(ctx), me(ctx), segment)
    except Refused:
        _refuse(ctx)
        await go_home(ctx)
        return None
    return segment


async def _go_with(ctx: Context, step: str, segment: Segment) -> None:
    await ctx.go(FLOW, step, text=ctx.data["text"], segment=segment.to_json())


@steps.step(FLOW, "text")
class Text:
    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._(
                "GỬI THÔNG BÁO\nAnh/Chị gõ nội dung thông báo (tối đa {max} ký tự). Người nhận "
                "sẽ đọc đúng như vậy."
            ).format(max=ctx.t.number(MAX_TEXT)),
            [_cancel(ctx)],
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        text = typed_text(ctx)
        if text is None:
            if await pick(ctx, [_cancel(ctx)]) == "cancel":
                await _quit(ctx)
            return
        try:
            text = act.clean_text(text)
        except Refused:
            await reprompt(ctx, too_long(ctx.t, text))
            return
        await ctx.go(FLOW, "place", text=text)


def too_long(t: Translator, text: str) -> str:
    """What a message longer than one broadcast may be is told."""
    return t._("Nội dung dài {length} ký tự, quá {max}. Anh/Chị rút gọn giúp.").format(
        length=t.number(len(text.strip())), max=t.number(MAX_TEXT)
    )


async def _place_buttons(ctx: Context, who: Reach) -> list[Button]:
    if who.everyone:
        return [
            Button(
                ctx._("Toàn {province}").format(province=ctx.content.units.province_name), "all"
            ),
            Button(ctx._("Một xã/phường"), "commune"),
            _cancel(ctx),
        ]
    places = [Button(_commune_name(ctx, code), f"c{code}") for code in sorted(who.communes)]
    for unit in await _units_by_id(ctx.session, list(who.units)):
        places.append(
            Button(f"{unit.name}, {_commune_name(ctx, unit.commune_code)}", f"u{unit.id}")
        )
    return [*places, _cancel(ctx)]


def _commune_name(ctx: Context, code: str) -> str:
    commune = ctx.content.units.get(code)
    return commune.name if commune else code


async def _units_by_id(session: AsyncSession, ids: list[int]) -> list[Unit]:
    if not ids:
        return []
    return list(await session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id)))


@steps.step(FLOW, "place")
class Place:
    @staticmethod
    async def enter(ctx: Context) -> None:
        who = await _reach(ctx)
        if who is None:
            await go_home(ctx)
            return
        ctx.say(ctx._("Gửi cho ai?"), await _place_buttons(ctx, who))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        who = await _reach(ctx)
        if who is None:
            await go_home(ctx)
            return
        choice = await pick(ctx, await _place_buttons(ctx, who))
        if choice is None:
            return
        if choice == "cancel":
            await _quit(ctx)
        elif choice == "commune":
            await ctx.go(FLOW, "commune", text=ctx.data["text"])
        else:
            segment = Segment()
            if choice.startswith("c"):
                segment = Segment(communes=(choice[1:],))
            elif choice.startswith("u"):
                segment = Segment(units=(int(choice[1:]),))
            await _go_with(ctx, "filters", segment)


@steps.step(FLOW, "commune")
class Commune:
    """An admin types a commune's name (accents optional), then picks it."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        units = ctx.content.units
        found = [units.get(code) for code in ctx.data.get("candidates", [])]
        return [Button(c.name, f"c{c.code}") for c in found if c] + [_cancel(ctx)]

    @staticmethod
    async def enter(ctx: Context) -> None:
        if ctx.data.get("candidates"):
            ctx.say(ctx._("Chọn xã/phường:"), Commune.buttons(ctx))
        else:
            ctx.say(ctx._("Gõ tên xã/phường:"), [_cancel(ctx)])

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        text = typed_text(ctx)
        if text is None or text.isdigit():
            choice = await pick(ctx, Commune.buttons(ctx))
            if choice == "cancel":
                await _quit(ctx)
            elif choice is not None:
                await _go_with(ctx, "filters", Segment(communes=(choice[1:],)))
            return
        matches = ctx.content.units.search(text, limit=5)
        if not matches:
            await reprompt(
                ctx,
                ctx._('Không tìm thấy xã/phường nào khớp với "{text}". Anh/Chị gõ lại.').format(
                    text=text[:60]
                ),
            )
            return
        await ctx.go(
            FLOW,
            "commune",
            text=ctx.data["text"],
            candidates=[m.commune.code for m in matches],
        )


async def describe(ctx: Context, segment: Segment) -> str:
    """Whom a segment reaches, in words."""
    return await words(ctx.t, ctx.content, ctx.session, segment, ctx.year)


async def words(
    t: Translator, content: Content, session: AsyncSession, segment: Segment, year: int
) -> str:
    """Whom a segment reaches, in words, wherever it is shown (the chat, the console);
    ``year``: the year whose target groups are named."""
    units = content.units

    def commune_name(code: str) -> str:
        commune = units.get(code)
        return commune.name if commune else code

    places = [commune_name(code) for code in segment.communes]
    places += [
        f"{u.name}, {commune_name(u.commune_code)}"
        for u in await _units_by_id(session, list(segment.units))
    ]
    parts = ["; ".join(places) or t._("toàn {province}").format(province=units.province_name)]
    if segment.groups:
        titles = {g.id: t.text(g.title) for g in content.groups(year)}
        parts.append(
            t._("nhóm: {groups}").format(groups=", ".join(titles.get(g, g) for g in segment.groups))
        )
    if segment.statuses:
        parts.append(
            t._("năm {year}: {statuses}").format(
                year=segment.year,
                statuses=", ".join(status_name(t, s) for s in segment.statuses),
            )
        )
    return "; ".join(parts)


def status_name(t: Translator, status: str) -> str:
    if status == NOT_STARTED:
        return t._(NOT_STARTED_TEXT)
    return t._(STATUS_TEXT[AssessmentStatus(status)])


@steps.step(FLOW, "filters")
class Filters:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Lọc theo nhóm đối tượng"), "group"),
            Button(ctx._("Lọc theo trạng thái tự đánh giá"), "status"),
            Button(ctx._("Xem trước"), "preview"),
            _cancel(ctx),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        segment = await _allowed_segment(ctx)
        if segment is None:
            return
        ctx.say(
            ctx._("Gửi đến: {who}.\nAnh/Chị có thể lọc thêm, hoặc xem trước.").format(
                who=await describe(ctx, segment)
            ),
            Filters.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        segment = await _allowed_segment(ctx)
        if segment is None:
            return
        choice = await pick(ctx, Filters.buttons(ctx))
        if choice == "cancel":
            await _quit(ctx)
        elif choice is not None:
            await _go_with(ctx, choice, segment)


@steps.step(FLOW, "group")
class Group:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        groups = [Button(ctx.t.text(g.title), g.id) for g in ctx.content.groups(ctx.year)]
        return [*groups, Button(ctx._("Mọi nhóm"), "any")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(ctx._("Nhóm đối tượng nào?"), Group.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        segment = await _allowed_segment(ctx)
        choice = await pick(ctx, Group.buttons(ctx)) if segment is not None else None
        if segment is not None and choice is not None:
            groups = () if choice == "any" else (choice,)
            await _go_with(ctx, "filters", replace(segment, groups=groups))


@steps.step(FLOW, "status")
class Status:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        statuses = [NOT_STARTED, *(s.value for s in AssessmentStatus)]
        named = [Button(_capitalised(status_name(ctx.t, s)), s) for s in statuses]
        return [*named, Button(ctx._("Mọi trạng thái"), "any")]

    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(
            ctx._("Trạng thái bản tự đánh giá năm {year}?").format(year=ctx.year),
            Status.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        segment = await _allowed_segment(ctx)
        choice = await pick(ctx, Status.buttons(ctx)) if segment is not None else None
        if segment is not None and choice is not None:
            statuses = () if choice == "any" else (choice,)
            year = ctx.year if statuses else None
            await _go_with(ctx, "filters", replace(segment, statuses=statuses, year=year))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@steps.step(FLOW, "preview")
class Preview:
    @staticmethod
    def buttons(ctx: Context, anyone: bool) -> list[Button]:
        send = [Button(ctx._("Gửi ngay"), "send")] if anyone else []
        return [*send, Button(ctx._("Sửa bộ lọc"), "filters"), _cancel(ctx)]

    @staticmethod
    async def enter(ctx: Context) -> None:
        segment = await _allowed_segment(ctx)
        if segment is None:
            return
        audience = await act.audience(work(ctx), me(ctx), segment)
        ctx.say(
            ctx._(
                "XEM TRƯỚC\n\n{message}\n\n———\nGửi đến: {who}.\nSố người sẽ nhận: {count} "
                "(không gửi cho {opted_out} người đã ngừng nhận thông báo và {unreachable} "
                "người đã chặn bot)."
            ).format(
                message=message_text(ctx.t, ctx.data["text"]),
                who=await describe(ctx, segment),
                count=ctx.t.number(audience.reachable),
                opted_out=ctx.t.number(audience.opted_out),
                unreachable=ctx.t.number(audience.unreachable),
            ),
            Preview.buttons(ctx, audience.reachable > 0),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        segment = await _allowed_segment(ctx)
        if segment is None:
            return
        choice = await pick(ctx, Preview.buttons(ctx, True))
        if choice == "cancel":
            await _quit(ctx)
        elif choice == "filters":
            await _go_with(ctx, "filters", segment)
        elif choice == "send":
            broadcast = await act.create(
                work(ctx),
                me(ctx),
                text=ctx.data["text"],
                segment=segment,
                send_at=ctx.now,
                progress_chat=(ctx.event.channel, ctx.event.chat_id),
            )
            ctx.say(
                ctx._(
                    "Đã bắt đầu gửi thông báo #{id}. Tin nhắn tiếp theo cho biết tiến độ."
                ).format(id=broadcast.id)
            )
            await go_home(ctx)


# -- the progress message and its buttons ---------------------------------------------------


async def control(ctx: Context, action: str, broadcast_id: int) -> None:
    """Pause, resume or cancel from the progress message: admins any broadcast within their
    reach, officers only their own and only while it is within their scope."""
    try:
        found = (await CONTROLS[action](work(ctx), me(ctx), broadcast_id)).broadcast
    except act.WrongState as wrong:
        found = wrong.broadcast  # shown as it stands, with what can still be done
    except Refused:
        _refuse(ctx)
        await steps.enter(ctx)
        return
    # The next controls come with the answer, and last: where the progress message cannot
    # be edited (Zalo) they are shown nowhere else, and a typed number picks among the last
    # message's options. So the current step is not asked again here; it still takes what
    # the person types next.
    ctx.say(
        ctx._("Thông báo #{id}: {state}.").format(
            id=found.id, state=ctx._(STATE_TEXT[BroadcastStatus(found.status)])
        ),
        controls(ctx.t, found),
    )


def progress(t: Translator, broadcast: Broadcast, stats: Stats, resumes: time | None) -> Reply:
    """The progress message as it should read now (the runner edits it into place);
    ``resumes``: the local time quiet hours end, while they last."""
    status = BroadcastStatus(broadcast.status)
    state = t._(STATE_TEXT[status])
    if resumes is not None and status == BroadcastStatus.SENDING:
        state = t._("nghỉ ban đêm, gửi tiếp lúc {time}").format(time=f"{resumes:%H:%M}")
    text = t._(
        "THÔNG BÁO #{id}: {state}\nĐã xử lý {done}/{total}: đã gửi {sent}, lỗi {failed}, "
        "đã chặn bot {blocked}, ngừng nhận {opted_out}."
    ).format(
        id=broadcast.id,
        state=state,
        done=t.number(stats.finished),
        total=t.number(stats.total),
        sent=t.number(stats.sent),
        failed=t.number(stats.failed),
        blocked=t.number(stats.blocked),
        opted_out=t.number(stats.opted_out),
    ) + _deferred_lines(t, stats)
    return Reply(text=text, buttons=controls(t, broadcast), kind=ReplyKind.NOTICE)


def controls(t: Translator, broadcast: Broadcast) -> tuple[Button, ...]:
    """What can be done to the broadcast in its present state."""
    status = BroadcastStatus(broadcast.status)
    cancel = Button(t._("Hủy gửi"), f"*bccancel:{broadcast.id}")
    if status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        return (Button(t._("Tạm dừng"), f"*bcpause:{broadcast.id}"), cancel)
    if status == BroadcastStatus.PAUSED:
        return (Button(t._("Tiếp tục"), f"*bcresume:{broadcast.id}"), cancel)
    return ()


def final(t: Translator, broadcast: Broadcast, stats: Stats) -> str:
    return t._(
        "ĐÃ GỬI XONG THÔNG BÁO #{id}\nĐã gửi: {sent}\nLỗi: {failed}\nĐã chặn bot: {blocked}\n"
        "Ngừng nhận thông báo: {opted_out}"
    ).format(
        id=broadcast.id,
        sent=t.number(stats.sent),
        failed=t.number(stats.failed),
        blocked=t.number(stats.blocked),
        opted_out=t.number(stats.opted_out),
    ) + _deferred_lines(t, stats)


def _deferred_lines(t: Translator, stats: Stats) -> str:
    """Recipients on a channel that lets the bot write only after they write (Zalo OA) may
    be waiting: said only when some are, so other deployments read nothing new."""
    lines = ""
    if stats.deferred:
        lines += "\n" + t._(
            "Chờ người nhận nhắn lại (ngoài khung trả lời miễn phí): {deferred}"
        ).format(deferred=t.number(stats.deferred))
    if stats.expired:
        lines += "\n" + t._("Quá hạn chờ, không gửi: {expired}").format(
            expired=t.number(stats.expired)
        )
    return lines
