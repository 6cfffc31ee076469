import shutil
from pathlib import Path

import pytest

from content import Content, CriteriaGroup, load_content
from content.loader import CONTENT_ROOT


@pytest.fixture(scope="session")
def shipped() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def residents(shipped: Content) -> CriteriaGroup:
    return shipped.criteria_for("residents", 2025)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A copy of the shipped YAML files (content/…), for tests that break them."""
    root = tmp_path / "content"
    shutil.copytree(
        CONTENT_ROOT, root, ignore=shutil.ignore_patterns("*.py", "__pycache__", "locales")
    )
    return root
