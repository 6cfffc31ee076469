"""Sign-up after consent: name, birth year, group, commune, and an optional sub-unit."""

from __future__ import annotations

from content import CriteriaGroup
from content.text import normalize
from handlers.actions import profile as details
from handlers.actions import rules
from handlers.actions.profile import GUARDIAN_AGE, LEARNERS, MAX_AGE, MIN_AGE, Detail, apply
from handlers.context import Context, steps
from handlers.events import Button, Event
from handlers.flows import menu, privacy, profile
from handlers.flows.common import NO, YES, pick, reprompt, typed_text, vocabulary
from handlers.i18n import N_
from handlers.input import first_number, match_choice, words
from storage.repositories import guardians, links, reviews, staff

FLOW = "register"
ORDER = ("name", "birth_year", "group", "commune", "subunit")
NAME_MIN, NAME_MAX = 2, 100
SUBUNIT_MAX = 120


async def resume(ctx: Context) -> None:
    """On to the first question not yet answered (a commune may come preset from a link)."""
    p = ctx.profile
    assert p is not None
    if not p.full_name:
        await ctx.go(FLOW, "name")
    elif not p.birth_year:
        await ctx.go(FLOW, "birth_year")
    elif ctx.year - p.birth_year < GUARDIAN_AGE and not p.guardian_consent:
        await ctx.go(FLOW, "guardian")
    elif not p.target_group:
        await ctx.go(FLOW, "group")
    elif not p.commune_code:
        await ctx.go(FLOW, "commune")
    else:
        await ctx.go(FLOW, "subunit")


def _editing(ctx: Context) -> bool:
    """Asked again from 'my details' to correct an answer, rather than to register."""
    return bool(ctx.data.get("edit"))


async def answered(ctx: Context, detail: Detail, value: str | int | details.Subunit) -> None:
    """Registering: note the answer and go on. Correcting: the change as its rules say."""
    if detail is Detail.COMMUNE and not await _assisting_may_place(ctx, str(value)):
        ctx.say(
            ctx._(
                "Anh/Chị chỉ nhập hộ được cho người dân ở xã/phường mình phụ trách. "
                "Người dân ở nơi khác nhờ cán bộ Hội Khuyến học ở đó, hoặc tự làm trên "
                "điện thoại của mình."
            )
        )
        await ctx.go(FLOW, "commune", edit=_editing(ctx))
        return
    if _editing(ctx):
        await profile.changed(ctx, detail, value)
        return
    assert ctx.profile is not None
    apply(ctx.profile, detail, value)
    await (finish(ctx) if detail is Detail.SUBUNIT else resume(ctx))


async def _assisting_may_place(ctx: Context, commune_code: str) -> bool:
    """An officer typing for someone keeps the person within their own scope, so the
    record is routed to where they work (no officer assisting: anyone may be anywhere)."""
    if ctx.assisted_by is None:
        return True
    roles = await reviews.scopes(ctx.session, ctx.assisted_by, ctx.content.routing)
    return rules.covers_commune(roles, commune_code)


def _valid_name(text: str) -> bool:
    letters_only = all(ch.isalpha() or ch in " .'-" for ch in text)
    return NAME_MIN <= len(text) <= NAME_MAX and letters_only and any(c.isalpha() for c in text)


@steps.step(FLOW, "name")
class Name:
    @staticmethod
    async def enter(ctx: Context) -> None:
        ctx.say(ctx._("Họ và tên đầy đủ của Anh/Chị là gì? (ví dụ: Nguyễn Văn An)"))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        text = typed_text(ctx)
        if text is None:
            await reprompt(ctx, ctx._("Anh/Chị vui lòng gõ họ và tên."))
            return
        name = " ".join(text.split())
        if name == name.lower():
            # Typed all in small letters (common on phones): written as a name, since it
            # goes on a certificate. A name typed with capitals is kept as typed.
            name = name.title()
        if not _valid_name(name):
            await reprompt(
                ctx,
                ctx._("Họ tên chỉ gồm chữ cái, dài từ 2 đến 100 ký tự. Anh/Chị vui lòng nhập lại."),
            )
            return
        await answered(ctx, Detail.NAME, name)


@steps.step(FLOW, "birth_year")
class BirthYear:
    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [] if _editing(ctx) else [Button(ctx._("Sửa họ tên"), "rename")]

    @staticmethod
    def number_answer(ctx: Context) -> bool:
        return True

    @staticmethod
    async def enter(ctx: Context) -> None:
        """The name as it will be printed, to confirm (or correct at once), then the year."""
        lines = []
        name = ctx.profile.full_name if ctx.profile is not None else None
        if name and not _editing(ctx):
            lines.append(
                ctx._(
                    "Họ tên: {name} — đúng không? Họ tên này sẽ in trên giấy chứng nhận; nếu "
                    'chưa đúng, Anh/Chị bấm "Sửa họ tên".'
                ).format(name=name)
            )
            if name.isascii():
                lines.append(
                    ctx._(
                        "Gợi ý: nên gõ họ tên có dấu, ví dụ Trần Văn Ba (không phải Tran Van Ba)."
                    )
                )
        lines.append(ctx._("Anh/Chị sinh năm nào? (gõ 4 chữ số, ví dụ: 1975)"))
        ctx.say("\n".join(lines), BirthYear.buttons(ctx), number_answer=True)

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        if event.payload == "rename" and not _editing(ctx):
            await ctx.go(FLOW, "name")
            return
        text = typed_text(ctx) or ""
        value = first_number(text)
        low, high = ctx.year - MAX_AGE, ctx.year - MIN_AGE
        if value is None or value != int(value) or not low <= value <= high:
            await reprompt(
                ctx,
                ctx._("Anh/Chị gõ năm sinh từ {low} đến {high}, ví dụ 1958.").format(
                    low=low, high=high
                ),
            )
            return
        await answered(ctx, Detail.BIRTH_YEAR, int(value))


@steps.step(FLOW, "guardian")
class Guardian:
    """Under 16: a parent or guardian consents from their own chat with the code shown here,
    or an officer records their signed paper form with it (handlers/flows/guardian.py)."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [
            Button(ctx._("Đã xác nhận, tiếp tục"), "check"),
            Button(ctx._("Lấy mã mới"), "new"),
            Button(ctx._("Hủy đăng ký"), "no"),
        ]

    @staticmethod
    async def enter(ctx: Context) -> None:
        code = await guardians.issue(
            ctx.session, user_id=ctx.user.id, now=ctx.now, key=ctx.settings.link_code_key
        )
        ctx.say(
            ctx._(
                "Vì Anh/Chị dưới 16 tuổi, theo quy định về bảo vệ dữ liệu cá nhân, cha mẹ hoặc "
                "người giám hộ của Anh/Chị cũng cần đồng ý.\n"
                "Nhờ cha mẹ hoặc người giám hộ mở bot này trên điện thoại của họ (Zalo hoặc "
                "Telegram) và gửi:\n/guardian {code}\n"
                "Nếu cha mẹ ký giấy đồng ý, Anh/Chị đưa giấy và mã này cho cán bộ Hội Khuyến học "
                'để ghi nhận. Mã dùng được trong {days} ngày. Khi đã xác nhận, Anh/Chị bấm "Đã '
                'xác nhận, tiếp tục".'
            ).format(code=links.shown(code), days=guardians.CODE_LIFETIME.days),
            Guardian.buttons(ctx),
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        choice = await pick(ctx, Guardian.buttons(ctx))
        assert ctx.profile is not None
        if choice == "check":
            if ctx.profile.guardian_consent:
                await resume(ctx)
            else:
                ctx.say(
                    ctx._("Chưa có xác nhận của cha mẹ hoặc người giám hộ."),
                    Guardian.buttons(ctx),
                )
        elif choice == "new":
            await ctx.go(FLOW, "guardian")
        elif choice == "no":
            t = ctx.t  # addressed as the child, whose details are about to go
            await privacy.erase(ctx, audited=False)
            ctx.say(
                t._(
                    "Anh/Chị hãy hỏi ý kiến cha mẹ hoặc người giám hộ rồi quay lại sau nhé "
                    "(gõ /start). Thông tin của Anh/Chị chưa được lưu."
                )
            )


@steps.step(FLOW, "group")
class Group:
    @staticmethod
    def groups(ctx: Context) -> list[CriteriaGroup]:
        """The groups open to the person: under 16, only the learners'."""
        p = ctx.profile
        young = p is not None and p.birth_year and ctx.year - p.birth_year < GUARDIAN_AGE
        return [g for g in ctx.content.groups(ctx.year) if not young or g.id == LEARNERS]

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        return [Button(ctx.t.text(g.label), g.id) for g in Group.groups(ctx)]

    @staticmethod
    async def enter(ctx: Context) -> None:
        # The groups once, as the options (their labels say who belongs).
        ctx.say(ctx._("Anh/Chị thuộc nhóm đối tượng nào?"), Group.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        groups = Group.groups(ctx)
        text = typed_text(ctx)
        # The group's full name typed ("nguoi dan trong xa phuong") is understood too.
        titles = [ctx.t.text(g.title) for g in groups]
        by_title = (
            None if text is None or text.isdigit() else match_choice(text, titles, vocabulary(ctx))
        )
        if by_title is not None:
            await answered(ctx, Detail.GROUP, groups[by_title].id)
            return
        choice = await pick(ctx, Group.buttons(ctx))
        if choice is None:
            return
        await answered(ctx, Detail.GROUP, choice)


SHOWN_COMMUNES = 5


@steps.step(FLOW, "commune")
class Commune:
    """Type a name (new or pre-2025, accents optional), then confirm the one name that fits
    exactly or pick from a few candidates."""

    @staticmethod
    def buttons(ctx: Context) -> list[Button]:
        units = ctx.content.units
        found = [units.get(code) for code in ctx.data.get("candidates", [])]
        if ctx.data.get("sure") and found:
            return [Button(ctx._("Đúng"), YES), Button(ctx._("Gõ lại tên khác"), NO)]
        labels = ctx.data.get("labels", {})
        picks = [Button(labels.get(c.code, c.name), f"c{c.code}") for c in found if c]
        if picks:
            picks.append(Button(ctx._("Gõ lại tên khác"), "retype"))
        return picks

    @staticmethod
    async def enter(ctx: Context) -> None:
        candidates = ctx.data.get("candidates")
        if candidates and ctx.data.get("sure"):
            label = ctx.data.get("labels", {}).get(candidates[0], "")
            lines = [ctx._("Anh/Chị ở {commune}, đúng không?").format(commune=label)]
            if district := ctx.data.get("district"):
                lines.append(
                    ctx._(
                        'Muốn xem các xã/phường của {district} cũ, Anh/Chị gõ "{district}".'
                    ).format(district=district)
                )
            ctx.say("\n".join(lines), Commune.buttons(ctx))
            return
        if candidates:
            lines = [ctx._("Anh/Chị chọn đúng xã/phường của mình:")]
            if ctx.data.get("partial"):
                lines.append(
                    ctx._(
                        "Tên huyện cũ này gồm nhiều xã/phường; đây là {shown} trong số đó. "
                        "Nếu không thấy, Anh/Chị gõ tên xã/phường cũ hoặc mới."
                    ).format(shown=len(candidates))
                )
            ctx.say("\n".join(lines), Commune.buttons(ctx))
            return
        ctx.say(
            ctx._(
                "Anh/Chị sống (hoặc làm việc, học tập) ở xã/phường nào của {province}? "
                "Gõ tên, có dấu hay không dấu đều được; tên xã/phường cũ trước tháng 7/2025 "
                "cũng được."
            ).format(province=ctx.content.units.province_name)
        )

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        text = typed_text(ctx)
        buttons = Commune.buttons(ctx)
        # A press, a number or a candidate's whole name (typed where options are numbered
        # lines, as on Zalo) picks it, as does a yes or no to a single name; any other typed
        # text is a new search.
        named = text is not None and normalize(text) in {normalize(b.label) for b in buttons}
        yes_no = (0, 1) if ctx.data.get("sure") else None
        answers = (
            text is not None
            and yes_no is not None
            and (
                match_choice(text, [b.label for b in buttons], vocabulary(ctx), yes_no) is not None
            )
        )
        if ctx.data.get("candidates") and (text is None or text.isdigit() or named or answers):
            choice = await pick(ctx, buttons)
            if choice in ("retype", NO):
                await ctx.go(FLOW, "commune", edit=_editing(ctx))
            elif choice == YES:
                await answered(ctx, Detail.COMMUNE, ctx.data["candidates"][0])
            elif choice is not None:
                await answered(ctx, Detail.COMMUNE, choice[1:])
            return
        if text is None:
            await reprompt(ctx, ctx._("Anh/Chị gõ tên xã/phường, ví dụ: Hải Châu."))
            return
        matches = ctx.content.units.search(text, limit=SHOWN_COMMUNES + 1)
        if not matches:
            ctx.conversation.data = {"edit": True} if _editing(ctx) else {}
            await reprompt(
                ctx,
                ctx._(
                    'Không tìm thấy xã/phường nào khớp với "{text}" ở {province}. '
                    "Anh/Chị thử gõ lại (ví dụ: Hòa Cường, Điện Bàn Tây)."
                ).format(text=text[:60], province=ctx.content.units.province_name),
            )
            return
        # One name typed exactly (today's, or an old commune's) is asked to confirm, not
        # picked from a list; an old district's name lists some of its communes, and says so.
        exact = [m for m in matches if m.score == 100 and not m.by_district]
        sure = len(exact) == 1 and exact[0] is matches[0]
        partial = len(matches) > SHOWN_COMMUNES and matches[0].by_district
        # Today's commune named like an old district ("Thăng Bình"): how to get the district.
        districts = [m.old_name for m in matches if sure and m.by_district and m.score == 100]
        shown = exact if sure else matches[:SHOWN_COMMUNES]
        labels = {
            m.commune.code: ctx._("{new} (trước đây: {old})").format(
                new=m.commune.name, old=m.old_name
            )
            if m.old_name and not m.by_district
            else m.commune.name
            for m in shown
        }
        await ctx.go(
            FLOW,
            "commune",
            candidates=[m.commune.code for m in shown],
            labels=labels,
            edit=_editing(ctx),
            sure=sure,
            partial=partial,
            district=districts[0] if districts else None,
        )


_SUBUNIT_QUESTIONS = {
    "residents": N_("Anh/Chị ở thôn hoặc tổ dân phố nào? (không bắt buộc, có thể bấm Bỏ qua)"),
    "workers": N_(
        "Anh/Chị làm việc ở doanh nghiệp, cơ sở nào? (không bắt buộc, có thể bấm Bỏ qua)"
    ),
    "officials": N_("Anh/Chị công tác ở cơ quan, đơn vị nào? (không bắt buộc, có thể bấm Bỏ qua)"),
    "learners": N_("Anh/Chị học ở trường nào? (không bắt buộc, có thể bấm Bỏ qua)"),
}


@steps.step(FLOW, "subunit")
class Subunit:
    """Village, agency or school: picked from the commune's units of the kinds that verify
    the person's group, when it has some (that decides who verifies), or typed, or skipped."""

    @staticmethod
    async def buttons(ctx: Context) -> list[Button]:
        p = ctx.profile
        assert p is not None and p.commune_code
        kinds = ctx.content.routing.kinds_for(p.target_group)
        units = await staff.units(ctx.session, p.commune_code, kinds)
        # Skipped by its word: "1" may well be the village's name (Tổ 1, Thôn 1).
        skip = Button(ctx._("Bỏ qua"), "skip", word=True)
        return [Button(u.name, f"u{u.id}") for u in units] + [skip]

    @staticmethod
    async def enter(ctx: Context) -> None:
        assert ctx.profile is not None
        question = _SUBUNIT_QUESTIONS.get(
            ctx.profile.target_group or "", _SUBUNIT_QUESTIONS["residents"]
        )
        ctx.say(ctx._(question), await Subunit.buttons(ctx))

    @staticmethod
    async def handle(ctx: Context, event: Event) -> None:
        text = typed_text(ctx)
        assert ctx.profile is not None
        buttons = await Subunit.buttons(ctx)
        listed = len(buttons) - 1  # the units offered, by number
        numbered = text is not None and text.isdigit() and 1 <= int(text) <= listed
        if text is not None and _skips(ctx, text):
            picked = details.Subunit(None, None)
        elif text is None or numbered:
            choice = await pick(ctx, buttons)
            if choice is None:
                return
            chosen = next(b for b in buttons if b.payload == choice)
            picked = (
                details.Subunit(None, None)
                if choice == "skip"
                else details.Subunit(int(choice[1:]), chosen.label)
            )
        elif len(text) > SUBUNIT_MAX:
            await reprompt(ctx, ctx._("Tên quá dài (tối đa 120 ký tự). Anh/Chị gõ ngắn gọn hơn."))
            return
        else:
            picked = details.Subunit(None, " ".join(text.split()))
        await answered(ctx, Detail.SUBUNIT, picked)


def _skips(ctx: Context, text: str) -> bool:
    replies = ctx.content.replies
    return words(text, replies.particle_words) in replies.skip_words


async def finish(ctx: Context) -> None:
    p = ctx.profile
    assert p is not None
    p.registered_at = ctx.now
    ctx.audit("profile.registered")
    ctx.say(
        ctx._(
            "Đăng ký xong. Thông tin của Anh/Chị:\n{details}\n"
            'Anh/Chị xem và sửa được các thông tin này ở mục "Thông tin của tôi" (/profile).'
        ).format(details=profile.details(ctx, ctx.t))
    )
    await menu.show(ctx)
