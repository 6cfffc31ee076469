"""What the bot says unasked: reminders, follow-ups and campaign messages, each in the
person's language and each with a way to stop them.

Their controls are word options (`Button.word`): where options are numbered, a push may arrive
while a question waits for its answer, and the number typed next must answer that question.
Each control's words are understood from any step (content/replies.yaml)."""

from __future__ import annotations

from content.campaigns import CampaignRule
from content.resources import Resource
from handlers.events import Button, Reply, ReplyKind
from handlers.i18n import Translator


def _stop(t: Translator) -> Button:
    return Button(t._("Ngừng nhận nhắc việc"), "*stop", word=True)


def assessment_reminder(t: Translator, year: int) -> Reply:
    return Reply(
        text=t._(
            "Anh/Chị chưa hoàn thành bản tự đánh giá năm {year}. Các câu trả lời đã được lưu; "
            "bấm nút dưới đây để làm tiếp."
        ).format(year=year),
        buttons=(Button(t._("Làm tiếp"), "*assess", word=True), _stop(t)),
        kind=ReplyKind.REMINDER,
    )


def follow_up(t: Translator, resource: Resource, recommendation_id: int) -> Reply:
    return Reply(
        text=t._(
            "Tuần trước Anh/Chị nhận gợi ý học: {title}. Anh/Chị học đến đâu rồi?\n{url}"
        ).format(title=t.text(resource.title), url=resource.url),
        buttons=(
            Button(t._("Đã học xong"), f"*learned:{recommendation_id}", word=True),
            Button(t._("Xem gợi ý học tập"), "*learn", word=True),
            _stop(t),
        ),
        kind=ReplyKind.REMINDER,
    )


def campaign(t: Translator, rule: CampaignRule) -> Reply:
    return Reply(text=t.text(rule.text), buttons=(_stop(t),), kind=ReplyKind.REMINDER)
