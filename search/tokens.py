"""Index tokens for the PostgreSQL full-text path, shared by documents and queries.

PostgreSQL's parsers do not segment Chinese, so text is tokenised here: Latin words as they
are, every Chinese character and character pair (bigram) as an ASCII token (``u`` + hex code
points, identical under any database locale), and the service item as ``cat<code>``. A Chinese
term of n characters matches when all its n-1 bigrams are present: substring search through
the GIN index. The same functions build the tsquery, so both sides always agree.
"""

import re

_LATIN = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
WEIGHTS = "ABCD"  # title, service item, provider, description


def _hex(text: str) -> str:
    return "u" + "".join(f"{ord(char):x}" for char in text)


def category_token(code: str) -> str:
    return "cat" + re.sub(r"[^a-z0-9]", "", code.lower())


def text_tokens(text: str) -> list[str]:
    text = text.lower()
    tokens = _LATIN.findall(text)
    for run in _CJK_RUN.findall(text):
        tokens.extend(_hex(char) for char in run)
        tokens.extend(_hex(run[i : i + 2]) for i in range(len(run) - 1))
    return tokens


def tsvector_literal(weighted: list[tuple[str, str]]) -> str:
    """A tsvector literal from (text, weight) pairs; each token keeps its best weight."""
    best: dict[str, str] = {}
    for text, weight in weighted:
        for token in text_tokens(text) if not text.startswith("cat:") else [category_token(text[4:])]:
            if token not in best or weight < best[token]:
                best[token] = weight
    return " ".join(f"{token}:1{weight}" for token, weight in best.items())


def term_tsquery(term: str) -> str:
    """One query word as tsquery: Latin words by prefix, Chinese by all its bigrams."""
    parts = []
    term = term.lower()
    for word in _LATIN.findall(term):
        parts.append(f"{word}:*")
    for run in _CJK_RUN.findall(term):
        if len(run) == 1:
            parts.append(_hex(run))
        else:
            parts.extend(_hex(run[i : i + 2]) for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(parts))
