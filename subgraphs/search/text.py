"""Text rules every backend shares: which words a text has, how many typos a word may have,
and how highlighted snippets reach clients.

Typo tolerance follows Elasticsearch's `fuzziness: AUTO`: a word of 3-5 characters may be one
edit away, a longer one two (an edit: insert, delete, replace, or swap two neighbours).
Query words shorter than 3 characters are ignored: the trigram indexes cannot match them.
"""

from __future__ import annotations

import html
import re

from subgraphs.search.documents import MARK_END, MARK_START

_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" splits like PostgreSQL's parser
MIN_WORD = 3
MAX_WORD = 40
MAX_QUERY_WORDS = 8


def words(text: str) -> list[str]:
    """The distinct indexable words of a text, lower-cased, in order of appearance."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        if MIN_WORD <= len(word) <= MAX_WORD:
            found.setdefault(word, None)
    return list(found)


def query_words(text: str) -> list[str]:
    return words(text)[:MAX_QUERY_WORDS]


def max_edits(word: str) -> int:
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without repeated edits of one
    substring); stops early and returns limit + 1 once the distance must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def near(word: str, candidates: list[str]) -> list[str]:
    """The candidates within `max_edits(word)` of the word, closest first."""
    limit = max_edits(word)
    scored = [(edit_distance(word, c, limit), c) for c in candidates]
    return [c for d, c in sorted(scored) if d <= limit]


def trigrams(word: str) -> list[str]:
    return [word[i : i + 3] for i in range(len(word) - 2)] or [word]


def render_snippet(marked: str) -> str:
    """Escape the text and turn the match marks into <em> tags."""
    return html.escape(marked).replace(MARK_START, "<em>").replace(MARK_END, "</em>")
