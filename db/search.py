"""The case search index: two-character pieces (bigrams) of each case's searchable names.

Case workers search by a fragment of an employer, project or complainant name ("恒泰"), or of a case
number. A substring match over every case reads the whole table (half a second at 100,000 cases on
PostgreSQL, bench/results). Chinese names are short, so a trigram index would not serve a two-character
search; the bigrams do, on SQLite and PostgreSQL alike:
- a two-character search is answered by the index alone (a bigram match is a substring match);
- a longer one takes the cases holding its two rarest bigrams (counted up to a cap through the index),
  then checks the substring on those.
"""

from sqlmodel import Field, SQLModel


class CaseSearchGram(SQLModel, table=True):
    """One bigram of one case's searchable text (lower case)."""

    __tablename__ = "case_search_grams"

    gram: str = Field(primary_key=True, max_length=2)
    case_no: str = Field(primary_key=True, max_length=32, index=True)


def normalize(text: str) -> str:
    """How both the names and the search text are compared: trimmed, lower case."""
    return text.strip().lower()


def grams_of(texts: list[str | None]) -> set[str]:
    """Every bigram of each text (a bigram never spans two texts)."""
    grams: set[str] = set()
    for text in texts:
        if text:
            t = normalize(text)
            grams.update(t[i : i + 2] for i in range(len(t) - 1))
    return grams


# A longer search looks up its two rarest bigrams: few enough to stay cheap, enough to narrow the cases.
GRAMS_PER_SEARCH = 2
# How far a bigram is counted when choosing: past this many cases it is simply common.
GRAM_COUNT_CAP = 2_000
# At most this many of a long search's bigrams are counted.
MAX_COUNTED = 12


def query_grams(text: str) -> list[str]:
    """The distinct bigrams of a search text, from its end (at most MAX_COUNTED); none for one character."""
    t = normalize(text)
    out: list[str] = []
    for i in range(len(t) - 2, -1, -1):
        gram = t[i : i + 2]
        if gram not in out:
            out.append(gram)
    return out[:MAX_COUNTED]


def rarest(counts: dict[str, int]) -> list[str]:
    """The bigrams to look up: the rarest ones (the sort is stable: ties keep the order of `counts`)."""
    return sorted(counts, key=counts.__getitem__)[:GRAMS_PER_SEARCH]


def is_exact(text: str) -> bool:
    """True when matching the bigram alone is the substring match (a two-character search)."""
    return len(normalize(text)) == 2
