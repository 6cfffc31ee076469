"""The words people type instead of pressing a button: yes and no, politeness particles,
command words without a slash, and language names. Phrases are compared without accents,
case or punctuation (`content.text.normalize` plus the handlers' own cleaning)."""

from functools import cached_property
from typing import Annotated

from pydantic import Field

from content.base import NonEmptyStr, Slug, Sourced
from content.duplicates import duplicates
from content.issues import ContentIssue
from content.text import normalize
from content.yaml_source import YamlDoc

Phrases = Annotated[list[NonEmptyStr], Field(min_length=1)]


class Replies(Sourced):
    yes: Phrases
    no: Phrases
    # Dropped at either end of a reply ("đồng ý ạ", "dạ, có"): politeness and address words.
    particles: Phrases
    # Command name (as after a slash) -> what people type for it, anywhere in a conversation.
    commands: dict[Slug, Phrases]
    # Locale -> its names, to switch language by typing it.
    languages: dict[Slug, Phrases]
    # What skips an optional typed answer (the village step), where a number would be a name.
    skip: Phrases

    # Normalized once, not for every message read (that was 60 calls of `normalize` per
    # message: a quarter of the engine's time in a profile of the inbox processor).
    @cached_property
    def particle_words(self) -> frozenset[str]:
        return _normalized(self.particles)

    @cached_property
    def yes_words(self) -> frozenset[str]:
        return _normalized(self.yes)

    @cached_property
    def no_words(self) -> frozenset[str]:
        return _normalized(self.no)

    @cached_property
    def skip_words(self) -> frozenset[str]:
        return _normalized(self.skip)

    def command_for(self, words: str) -> str | None:
        return self._command_words.get(words)

    def language_for(self, words: str) -> str | None:
        return self._language_words.get(words)

    @cached_property
    def _command_words(self) -> dict[str, str]:
        return _meanings(self.commands)

    @cached_property
    def _language_words(self) -> dict[str, str]:
        return _meanings(self.languages)


def _normalized(phrases: list[str]) -> frozenset[str]:
    return frozenset(normalize(p) for p in phrases)


def _meanings(sections: dict[str, list[str]]) -> dict[str, str]:
    """Normalized phrase -> its section's name; the first section's where two share one
    (check_replies refuses that)."""
    found: dict[str, str] = {}
    for name, phrases in sections.items():
        for words in _normalized(phrases):
            found.setdefault(words, name)
    return found


def check_replies(doc: YamlDoc, data: Replies) -> list[ContentIssue]:
    """A phrase may mean one thing only: yes and no, two commands or two languages must not
    share one, since the reply would then be read at random."""
    issues: list[ContentIssue] = []
    meanings: list[tuple[tuple[str | int, ...], str]] = []
    for key in ("yes", "no"):
        meanings += [((key, i), normalize(p)) for i, p in enumerate(getattr(data, key))]
    for section in ("commands", "languages"):
        for name, phrases in getattr(data, section).items():
            meanings += [((section, name, i), normalize(p)) for i, p in enumerate(phrases)]
    for later, first in duplicates(words for _, words in meanings):
        path, words = meanings[later]
        issues.append(doc.issue(path, f"{words!r} already means {meanings[first][0][0]}"))
    for i, particle in enumerate(data.particles):
        if " " in normalize(particle):
            issues.append(doc.issue(("particles", i), "a particle is one word"))
    return issues
