"""Accent- and case-insensitive text matching.

People type Vietnamese with or without accents ("Điện Hồng", "dien hong"), so every comparison
of what a user typed with names or answer labels goes through `normalize`.
"""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def fold(s: str) -> str:
    """Lower case, no accents, single spaces; punctuation kept (a minus sign matters)."""
    s = s.lower().replace("đ", "d")
    # NFD splits "ế" into "e" plus combining marks; dropping the marks leaves plain letters.
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return _SPACES.sub(" ", s).strip()


def normalize(s: str) -> str:
    """Lower case, no accents, single spaces, no punctuation at either end."""
    return _EDGE_PUNCTUATION.sub("", fold(s))
