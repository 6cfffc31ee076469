"""Building blocks shared by every content model."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Ids and tags that code, button payloads and stored answers refer to.
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]

# "draft" = our wording or an inference, not yet checked against the official text. The bot must
# not present a draft as official.
Status = Literal["official", "draft"]


class FrozenModel(BaseModel):
    # A typo in a key must be an error, not a silently ignored field.
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalText(FrozenModel):
    """A text in Vietnamese (the source of truth) and English."""

    vi: NonEmptyStr
    en: NonEmptyStr

    def get(self, locale: str) -> str:
        return self.en if locale.lower().startswith("en") else self.vi


class Sourced(FrozenModel):
    """An element whose origin is stated, so reviewers see what still needs checking."""

    status: Status
    source: NonEmptyStr | None = None
