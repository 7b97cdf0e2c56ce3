"""Index tokens for the PostgreSQL full-text path, shared by documents and queries.

PostgreSQL's parsers do not segment Chinese, so text is tokenised here and both sides are written
as ``tsvector`` / ``tsquery`` literals (never through a text-search parser, so a token means the
same under any database locale): Latin words as they are; Chinese as its character pairs
(bigrams) plus the last character of each run, written as the characters themselves; the service
item and its ancestors as ``cat<code>``; each region served as ``rg<code>`` and each province
served as ``pv<code>``, so region and service-item filters are intersected inside the GIN index
together with the words.

A Chinese term of n >= 2 characters matches when all its n-1 bigrams are present (substring
search through the GIN index); a single character matches as a prefix (``水:*`` finds 水保 and a
run ending in 水). Tokens of the title, service item and provider carry a weight (A, B, C) for
``ts_rank``; description tokens carry no position at all (PostgreSQL ranks them as D), which keeps
the vector about a third smaller: fewer pages read per hit.
"""

import re

_LATIN = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
WEIGHTS = "ABCD"  # title, service item, provider, description


def category_token(code: str) -> str:
    return "cat" + re.sub(r"[^a-z0-9]", "", code.lower())


def category_token_sql(code_sql: str) -> str:
    """``category_token`` in SQL, of the SQL expression ``code_sql``: for the counts the database
    keeps per service item (it has the stored code and path, not the vector's tokens)."""
    return f"('cat' || regexp_replace(lower({code_sql}), '[^a-z0-9]', '', 'g'))"


def category_tokens_sql(path_sql: str) -> str:
    """SQL selecting ``category_token`` of each code in ``path_sql`` (an SQL expression of a
    "/"-separated path of codes), as the vectors carry them."""
    segment = category_token_sql("segment")
    return f"SELECT {segment} FROM unnest(string_to_array({path_sql}, '/')) AS segment WHERE segment <> ''"  # noqa: S608 - SQL of ours


def region_token(code: str) -> str:
    """A region served: a city filter asks for its own code or its province's."""
    return f"rg{code}"


def province_token(code: str) -> str:
    """A province at least part of which is served: what a province filter asks for."""
    return f"pv{code}"


def text_tokens(text: str) -> list[str]:
    text = text.lower()
    tokens = _LATIN.findall(text)
    for run in _CJK_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        tokens.append(run[-1])  # every character starts a token: a prefix query finds each one
    return tokens


def tsvector_literal(weighted: list[tuple[str, str]], *, plain: tuple[str, ...] = ()) -> str:
    """A tsvector literal from (text, weight) pairs plus ``plain`` tokens taken as they are; each
    token keeps its best weight, and D tokens are written without a position."""
    best: dict[str, str] = {}
    for text, weight in weighted:
        for token in text_tokens(text) if not text.startswith("cat:") else [category_token(text[4:])]:
            if token not in best or weight < best[token]:
                best[token] = weight
    for token in plain:
        best.setdefault(token, "D")
    return " ".join(token if weight == "D" else f"{token}:1{weight}" for token, weight in best.items())


def term_tsquery(term: str) -> str:
    """One query word as tsquery: Latin words by prefix, Chinese by all its bigrams."""
    parts = []
    term = term.lower()
    for word in _LATIN.findall(term):
        parts.append(f"{word}:*")
    for run in _CJK_RUN.findall(term):
        if len(run) == 1:
            parts.append(f"{run}:*")
        else:
            parts.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(parts))
