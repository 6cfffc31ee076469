"""The typed-reply words and the associations' contacts are content, checked like the rest."""

from pathlib import Path

from content import Content
from tests.content.test_content_issues import edit, issues


def test_a_phrase_meaning_both_yes_and_no_is_refused(content_copy: Path) -> None:
    line = edit(content_copy, "replies.yaml", "no: [không,", "no: [Ừ,")
    assert any(
        issue.startswith(f"content/replies.yaml:{line} no[0]: 'u' already means yes")
        for issue in issues(content_copy)
    )


def test_a_command_word_for_two_commands_is_refused(content_copy: Path) -> None:
    edit(content_copy, "replies.yaml", "help: [help,", "help: [Menu,")
    assert any("commands.help[0]: 'menu' already means commands" in i for i in issues(content_copy))


def test_a_particle_is_one_word(content_copy: Path) -> None:
    edit(content_copy, "replies.yaml", "particles: [ạ,", "particles: [dạ vâng,")
    assert any("particles[0]: a particle is one word" in i for i in issues(content_copy))


def test_a_contact_for_an_unknown_commune_is_refused(content_copy: Path) -> None:
    edit(content_copy, "contacts.yaml", '"20242":', '"99999":')
    assert any("communes.99999: unknown commune code 99999" in i for i in issues(content_copy))


def test_a_phone_number_must_look_like_one(content_copy: Path) -> None:
    edit(content_copy, "contacts.yaml", "phone: null", "phone: gọi ủy ban", after="province:")
    assert any("province.phone" in i for i in issues(content_copy))


def test_contacts_of_another_province_are_refused(content_copy: Path) -> None:
    edit(content_copy, "contacts.yaml", "province_code: 48", "province_code: 1")
    assert any("the contacts are not those of 48" in i for i in issues(content_copy))


def test_shipped_words_and_contacts(shipped: Content) -> None:
    assert shipped.replies.command_for("tro giup") == "help"
    assert shipped.replies.language_for("english") == "en"
    assert shipped.contacts.for_commune("20242").name.vi.startswith("Hội Khuyến học phường")
    assert shipped.contacts.for_commune("20257") == shipped.contacts.province
    assert shipped.contacts.status == "draft"  # no real numbers yet
