"""The officers' daily digest: what has waited too long for them, and what has waited far
too long below them (a unit's submissions go up to the commune's officers, a commune's to
the province's admins)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta

from babel.support import NullTranslations
from sqlalchemy.ext.asyncio import AsyncSession

from content import Content
from handlers.actions import rules
from handlers.context import translators
from handlers.events import Button, Reply, ReplyKind
from handlers.i18n import LOCAL_TZ
from storage.repositories import reviews, staff

SHOWN = 5  # the oldest few, by name; the queue has the rest


async def review_digest(
    session: AsyncSession,
    content: Content,
    catalogs: Mapping[str, NullTranslations],
    now: datetime,
    *,
    remind_days: int,
    escalate_days: int,
) -> list[Reply]:
    """One message per officer with something waiting more than `remind_days` in their
    scope, or more than `escalate_days` in the scope below; none when nothing waits."""
    late = await reviews.waiting_since(session, now - timedelta(days=remind_days))
    if not late:
        return []
    roster = await staff.roster(session)
    keys = await rules.keys_of(session, roster.everyone)
    # Where each officer who entered a waiting paper form may decide it themselves.
    sole = {u: await staff.sole_places(session, u) for u in {w.entered_by for w in late} if u}
    # officer -> submission id -> (the submission, whether it came up from below)
    mine: dict[int, dict[int, tuple[reviews.Waiting, bool]]] = defaultdict(dict)
    for w in late:
        kinds = content.routing.kinds_for(w.target_group)
        key = rules.key_of(w.full_name, w.birth_year, w.commune_code)
        levels = rules.neutral(  # an officer's own submission is for the scope above
            roster.levels(w.commune_code, w.unit_id, kinds),
            lambda u, w=w, key=key: rules.same_person(w.user_id, key, u, keys.get(u)),
        )
        if w.entered_by and not staff.in_places(sole[w.entered_by], w.commune_code, w.unit_id):
            levels = rules.without(levels, w.entered_by)  # another officer decides it
        escalated = now - w.submitted_at > timedelta(days=escalate_days)
        for officer in levels[0] if levels else []:
            mine[officer].setdefault(w.assessment_id, (w, False))
        for officer in levels[1] if escalated and len(levels) > 1 else []:
            mine[officer].setdefault(w.assessment_id, (w, True))
    speak = await translators(
        session, catalogs, mine, content.address, now.astimezone(LOCAL_TZ).year
    )
    replies = []
    for officer, items in mine.items():
        t = speak[officer]
        shown = list(items.values())  # oldest first, as `waiting_since` gave them
        from_below = sum(up for _, up in shown)
        lines = [
            t._("Nhắc việc: {count} bản tự đánh giá đang chờ xác minh quá {days} ngày.").format(
                count=len(shown), days=remind_days
            )
        ]
        if from_below:
            lines.append(
                t._(
                    "Trong đó {count} bản đã chờ cấp dưới quá {days} ngày, nay chuyển lên Anh/Chị."
                ).format(count=from_below, days=escalate_days)
            )
        lines.append(t._("Chờ lâu nhất:"))
        own, below = t._("- {name}: {days} ngày"), t._("- {name}: {days} ngày (từ cấp dưới)")
        for w, up in shown[:SHOWN]:
            line = below if up else own
            lines.append(line.format(name=w.full_name, days=(now - w.submitted_at).days))
        replies.append(
            Reply(
                "\n".join(lines),
                (Button(t._("Danh sách chờ"), "*pending"),),
                kind=ReplyKind.REMINDER,
                to_user_id=officer,
                mentions=tuple(w.user_id for w, _ in shown[:SHOWN]),
            )
        )
    return replies
