"""Telegram updates become neutral events; replies fit Telegram's limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.channels import raw
from bot.channels.telegram import chat_key, keyboard, processed_form, to_event
from bot.channels.text import split_text
from handlers.events import Button, EventKind, Reply
from tests.fakes.telegram import FakeTelegram

USER = {"id": 501, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
CHAT = {"id": 501, "type": "private", "first_name": "Lan"}


def message(update_id: int, **fields: object) -> dict:
    return {
        "update_id": update_id,
        "message": {"message_id": 7, "date": 1_780_000_000, "chat": CHAT, "from": USER, **fields},
    }


def test_text_and_commands() -> None:
    text = to_event(message(1, text="Điện Hồng"))
    assert (text.kind, text.text, text.chat_id, text.event_id) == (
        EventKind.TEXT,
        "Điện Hồng",
        "501",
        "1",
    )
    assert text.language_hint == "vi"
    command = to_event(
        message(
            2, text="/start c_20242", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
        )
    )
    assert (command.kind, command.command, command.args) == (EventKind.COMMAND, "start", "c_20242")
    addressed = to_event(message(3, text="/Menu@cdht_bot"))
    assert addressed.command == "menu"


def test_button_press_keeps_the_payload_and_the_chat() -> None:
    event = to_event(
        {
            "update_id": 9,
            "callback_query": {
                "id": "cb1",
                "from": USER,
                "chat_instance": "x",
                "data": "I3:2",
                "message": {"message_id": 7, "date": 1_780_000_000, "chat": CHAT, "text": "?"},
            },
        }
    )
    assert (event.kind, event.payload, event.chat_id) == (EventKind.BUTTON, "I3:2", "501")


def test_a_processed_update_keeps_no_copy_of_the_bots_own_messages_quoted_in_it() -> None:
    screen = {
        "message_id": 7,
        "date": 1_780_000_000,
        "chat": CHAT,
        "text": "Trần Văn Ba, sinh năm 1951",
        "reply_markup": {"inline_keyboard": [[{"text": "Duyệt", "callback_data": "*a:1"}]]},
    }
    press = {
        "update_id": 9,
        "callback_query": {"id": "cb1", "from": USER, "data": "*a:1", "message": screen},
    }
    reply = {
        "update_id": 10,
        "message": {
            "message_id": 8,
            "date": 1_780_000_000,
            "chat": CHAT,
            "from": USER,
            "text": "đồng ý",
            "reply_to_message": screen,
            "quote": {"text": "Trần Văn Ba"},
        },
    }

    for update in (press, reply):
        form = processed_form(update)
        assert "Trần Văn Ba" not in str(form)
        kept, whole = to_event(form), to_event(update)
        assert kept is not None and whole is not None
        assert replace(kept, at=whole.at) == whole  # a press is dated when it is read
    assert processed_form(reply)["message"]["reply_to_message"] == {"message_id": 7}
    plain = {"update_id": 11, "message": {**reply["message"], "reply_to_message": None}}
    del plain["message"]["reply_to_message"], plain["message"]["quote"]
    assert processed_form(plain) is plain  # nothing to leave out: kept as it came


def test_photo_and_document_become_file_references() -> None:
    photo = to_event(
        message(
            4,
            photo=[
                {
                    "file_id": "small",
                    "file_unique_id": "s",
                    "width": 90,
                    "height": 90,
                    "file_size": 10,
                },
                {
                    "file_id": "large",
                    "file_unique_id": "l",
                    "width": 900,
                    "height": 900,
                    "file_size": 900,
                },
            ],
        )
    )
    assert (photo.kind, photo.file.ref, photo.file.size) == (EventKind.FILE, "large", 900)
    assert photo.file.kind == "photo"  # to be sent on as a photo, never as a document
    document = to_event(
        message(
            5,
            document={
                "file_id": "doc",
                "file_unique_id": "d",
                "file_name": "chung-nhan.pdf",
                "mime_type": "application/pdf",
                "file_size": 2048,
            },
        )
    )
    assert (document.file.ref, document.file.name, document.file.mime, document.file.kind) == (
        "doc",
        "chung-nhan.pdf",
        "application/pdf",
        "document",
    )


def test_block_unblock_and_unreadable_messages() -> None:
    def member(status: str) -> dict:
        return {
            "update_id": 6,
            "my_chat_member": {
                "chat": CHAT,
                "from": USER,
                "date": 1_780_000_000,
                "old_chat_member": {"status": "member", "user": USER},
                "new_chat_member": {"status": status, "user": USER, "until_date": 0}
                if status == "kicked"
                else {"status": status, "user": USER},
            },
        }

    assert to_event(member("kicked")).kind is EventKind.BLOCKED
    assert to_event(member("member")).kind is EventKind.UNBLOCKED
    sticker = to_event(
        message(
            8,
            sticker={
                "file_id": "st",
                "file_unique_id": "st",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            },
        )
    )
    assert sticker.kind is EventKind.UNSUPPORTED


def test_group_messages_are_ignored_and_chat_keys_come_from_the_sender() -> None:
    group = message(10, text="hi")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "CLB"}
    assert to_event(group) is None
    assert chat_key(message(11, text="x")) == "501"
    assert chat_key({"update_id": 12, "callback_query": {"from": {"id": 77}}}) == "77"


def test_keyboard_one_button_a_row() -> None:
    markup = keyboard(Reply("?", buttons=(Button("Có", "yes"), Button("Không", "no"))))
    assert markup == {
        "inline_keyboard": [
            [{"text": "Có", "callback_data": "yes"}],
            [{"text": "Không", "callback_data": "no"}],
        ]
    }
    assert keyboard(Reply("plain")) is None


def test_split_text_on_paragraphs_and_within_limits() -> None:
    paragraphs = ["Đoạn " + str(n) + " " + "chữ " * 300 for n in range(5)]
    text = "\n\n".join(paragraphs)
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert all(p.startswith("Đoạn") for p in pieces)  # cut where a paragraph starts
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert split_text("ngắn", 4096) == ["ngắn"]
    assert all(len(p) <= 10 for p in split_text("x" * 35, 10))


def test_only_private_chats_are_people() -> None:
    fake = FakeTelegram()  # its update builders only
    assert to_event(fake.user_text(5, "/start")) is not None
    assert to_event(fake.my_chat_member(5, blocked=True)) is not None
    for update in (
        fake.group_text(5, -100, "/start"),
        fake.group_text(5, -100, "hi", chat_type="supergroup"),
        fake.group_press(5, -100, "consent:yes"),
        fake.group_membership(5, -100, added=True),
        fake.group_membership(5, -100, added=False, chat_type="supergroup"),
        fake.group_membership(5, -100, added=True, chat_type="channel"),
        fake.channel_post(-100, "/start"),
    ):
        assert to_event(update) is None, update


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", 5), ("date", "not-a-date"), ("date", 10**30), ("chat", None), ("from", [1])],
)
def test_a_field_of_the_wrong_type_is_unreadable(field: str, value: object) -> None:
    update = message(1, text="hi")
    update["message"][field] = value
    with pytest.raises((raw.Unreadable, KeyError)):
        to_event(update)
    assert isinstance(chat_key(update), str)  # the inbox can still keep it
