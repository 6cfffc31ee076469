"""Read content YAML keeping line numbers, and turn validation errors into `ContentIssue`s."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from content.issues import ContentIssue

Model = TypeVar("Model", bound=BaseModel)
KeyPath = Sequence[str | int]

# Pydantic's wording is written for API clients; content editors get plainer words for these.
_MESSAGES = {"missing": "missing required field", "extra_forbidden": "unknown field"}


def format_path(path: KeyPath) -> str:
    """("indicators", 3, "points") -> "indicators[3].points"."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text


@dataclass(frozen=True)
class YamlDoc:
    file: str  # as shown in issues
    tree: Any  # the round-trip nodes, which know their lines

    def line_of(self, path: KeyPath) -> int:
        """1-based line of the deepest key on `path` present in the file.

        A missing key points at its parent, which is where it has to be added.
        """
        node, line = self.tree, 1
        for key in path:
            if isinstance(node, CommentedMap) and key in node:
                line = node.lc.key(key)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
                line = node.lc.item(key)[0] + 1
            else:
                break
            node = node[key]
        return line

    def issue(self, path: KeyPath, message: str) -> ContentIssue:
        return ContentIssue(self.file, self.line_of(path), format_path(path), message)

    def validate(self, model: type[Model]) -> tuple[Model | None, list[ContentIssue]]:
        try:
            return model.model_validate(_plain(self.tree)), []
        except ValidationError as error:
            return None, [self.issue(e["loc"], _message(e)) for e in error.errors()]


def read_yaml(path: Path, shown_as: str) -> tuple[YamlDoc | None, list[ContentIssue]]:
    if not path.is_file():
        return None, [ContentIssue(shown_as, 1, "", "file not found")]
    try:
        tree = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, [ContentIssue(shown_as, line, "", f"YAML syntax error: {error.problem}")]
    return YamlDoc(shown_as, tree), []


def _message(error: Any) -> str:
    return _MESSAGES.get(error["type"], error["msg"])


def _plain(node: Any) -> Any:
    """Plain Python values: the models should not keep ruamel's scalar subclasses."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node
