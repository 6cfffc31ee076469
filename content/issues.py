"""Content problems, each pointing at the file, line and key path to fix."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ContentIssue:
    file: str  # relative to the parent of the content root, e.g. "content/resources.yaml"
    line: int  # 1-based
    path: str  # e.g. "indicators[3].options[2].points"; empty for file-level problems
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ContentError(Exception):
    def __init__(self, issues: list[ContentIssue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues
