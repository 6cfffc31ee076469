"""The domain knowledge as data: criteria, scoring rules, learning resources, units, targets.

Pure: reads only its own files and imports nothing else of the project.
"""

from content.base import LocalText
from content.catalog import Content
from content.criteria import (
    Band,
    Competency,
    CriteriaGroup,
    CriteriaSet,
    Indicator,
    NumberInput,
    Option,
    PassRules,
)
from content.issues import ContentError, ContentIssue
from content.loader import check_content, load_content
from content.resources import Resource
from content.routing import Routing
from content.scoring import ScoreResult, score
from content.targets import ProvinceTargets, TargetRatios, Targets
from content.units import Commune, CommuneMatch, Units

__all__ = [
    "Band",
    "Commune",
    "CommuneMatch",
    "Competency",
    "Content",
    "ContentError",
    "ContentIssue",
    "CriteriaGroup",
    "CriteriaSet",
    "Indicator",
    "LocalText",
    "NumberInput",
    "Option",
    "PassRules",
    "ProvinceTargets",
    "Resource",
    "Routing",
    "ScoreResult",
    "TargetRatios",
    "Targets",
    "Units",
    "check_content",
    "load_content",
    "score",
]
