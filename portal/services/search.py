"""What a search box's words become, to compare with the ``search_text`` columns (kept by
``models.folded``): folded the same way, each word matched anywhere with LIKE."""

from __future__ import annotations

from ..models import folded

MAX_WORDS = 8


def search_words(query: str, *, shortest: int = 2) -> list[str]:
    """The words of a search, folded; repeated words and words shorter than ``shortest``
    dropped (in a long text one letter finds everything)."""
    words = (w for w in folded(query).split() if len(w) >= shortest)
    return list(dict.fromkeys(words))[:MAX_WORDS]


def like_pattern(word: str) -> str:
    """A LIKE pattern, with ``\\`` as its escape, that finds ``word`` anywhere."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
