"""The case list and the statistics: the API's reads over many cases (db/cases.py holds the tables).

Filters are answered from the index tables where one subquery holds them all; a search walks the bigram
index (db/search.py) from its rarest gram; totals are counted up to a cap (Settings.count_cap).
"""

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Integer, and_, func, literal, or_, union_all
from sqlalchemy.orm import defer
from sqlmodel import Session, select

from db.cases import CaseRecord, CaseUnit
from db.search import GRAM_COUNT_CAP, CaseSearchGram, is_exact, query_grams, rarest
from domain.identity import looks_like_credit_code
from domain.joining import JOINED


def _gram_counts(session: Session, grams: list[str]) -> dict[str, int]:
    """How many cases hold each bigram, each counted up to GRAM_COUNT_CAP + 1, in one query (index-only)."""

    def counted(gram: str):
        held = select(CaseSearchGram.case_no).where(CaseSearchGram.gram == gram).limit(GRAM_COUNT_CAP + 1).subquery()
        return select(literal(gram).label("gram"), func.count().label("n")).select_from(held)

    found = {gram: n for gram, n in session.execute(union_all(*(counted(g) for g in grams)))}
    return {g: found[g] for g in grams}  # in the search text's order, for rarest()'s ties


def _search_condition(session: Session, q: str):
    """Cases whose number, employer, project, complainant or another party (建设单位, 施工总承包单位,
    分包单位) contains `q` (any case), or whose employer's credit code is `q`, as (bigram subqueries,
    common, condition on the cases): each subquery holds the case numbers holding one of the search's
    rarest bigrams, `common` says that each of them is held by more than GRAM_COUNT_CAP cases, the
    condition (None when the subqueries are the answer) checks the substring on them.

    One subquery a bigram (not one grouped by case and counted): when the bigrams are common (劳务有限,
    some 60,000 of 100,000 cases), the page can then walk the cases in deadline order and probe the
    bigram index for each, stopping at the page's end, instead of gathering every match and sorting it."""
    text = q.strip()
    # A text without letters that have a case (Chinese names, numbers) is matched by LIKE as ILIKE would
    # match it, at a third of the cost on PostgreSQL (ILIKE folds the case of every multibyte character).
    caseless = text.lower() == text.upper()
    substring = or_(
        *(
            # autoescape: a '%' or '_' typed by the user is a character, not a wildcard
            (column.contains if caseless else column.icontains)(text, autoescape=True)
            for column in (
                CaseRecord.case_no,
                CaseRecord.employer_name,
                CaseRecord.project_name,
                CaseRecord.complainant_name,
                CaseRecord.party_names,
            )
        )
    )
    grams = query_grams(text)
    counts = _gram_counts(session, grams) if grams else {}
    grams = rarest(counts)
    holding = [select(CaseSearchGram.case_no).where(CaseSearchGram.gram == gram) for gram in grams]
    if looks_like_credit_code(text):  # only then: an OR over another column would read every case
        matched = and_(*(CaseRecord.case_no.in_(h) for h in holding), substring)
        return [], False, or_(matched, CaseRecord.employer_credit_code == text.upper())
    if not holding:
        return [], False, substring
    common = all(counts[g] > GRAM_COUNT_CAP for g in grams)
    return holding, common, None if is_exact(text) else substring


class CasePage(NamedTuple):
    """A page of the case list, how many cases match (at most the cap), and whether more than that match."""

    rows: list[CaseRecord]
    total: int
    capped: bool


def _count(session: Session, held, cap: int | None) -> tuple[int, bool]:
    """How many rows the select `held` gives, counted up to `cap` (every one when None); (total, capped).

    Counting stops at cap + 1 rows (LIMIT in the subquery): a search matching most of 100,000 cases was
    counted in 1.0-1.7 s on PostgreSQL when every match was counted (README, "Benchmark")."""
    if cap is not None:
        held = held.limit(cap + 1)
    n = session.exec(select(func.count()).select_from(held.subquery())).one()
    if cap is not None and n > cap:
        return cap, True
    return n, False


def list_cases(
    *,
    session: Session,
    visible_units: list[str] | None,
    registered_by: str | None = None,
    stage: str | None = None,
    unit: str | None = None,
    township: str | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    count_cap: int | None = None,
) -> CasePage:
    """Cases a user may see, filtered, nearest deadline first; returns (page, total, capped).

    With `count_cap`, the total is counted up to that many cases: beyond it, total is the cap and capped
    is True (the API's `total_capped`, the inbox's "10,000+"); without it every match is counted.

    Filters are conditions on the cases rows, or subqueries of case numbers from the index tables
    (case_units, the search bigrams). When one such subquery answers every filter by itself (a unit's
    list by stage and overdue; a two-character search over all cases), the total is counted there alone:
    counting through the cases reads some 100,000 index entries at that many cases."""
    conditions = []  # on the cases rows
    repeated = []  # on the cases rows too, though a subquery answers them (the page then walks the stage's index)
    narrowing = []  # subqueries of case numbers
    # a common search's bigram subqueries: probed for each case (EXISTS) rather than gathered (IN). SQLite
    # (no statistics) otherwise starts from the bigram and sorts every match: 劳务有限 at 100,000 cases,
    # 60,000 matches, paged in 290-360 ms, probed in 3 ms; PostgreSQL plans both forms alike.
    probed = []
    by_stage = ([CaseRecord.stage == stage] if stage else []) + (
        [CaseRecord.overdue == overdue] if overdue is not None else []
    )
    if visible_units is not None and not registered_by:  # case_units repeat each case's stage and overdue flag
        scoped = select(CaseUnit.case_no).where(CaseUnit.unit.in_(visible_units))
        if stage:
            scoped = scoped.where(CaseUnit.stage == stage)
        if overdue is not None:
            scoped = scoped.where(CaseUnit.overdue == overdue)
        narrowing.append(scoped)
        repeated += by_stage
    else:
        if visible_units is not None:  # a clerk also sees the cases they registered
            scoped = select(CaseUnit.case_no).where(CaseUnit.unit.in_(visible_units))
            conditions.append(or_(CaseRecord.case_no.in_(scoped), CaseRecord.registered_by == registered_by))
        conditions += by_stage
    if unit:
        narrowing.append(select(CaseUnit.case_no).where(CaseUnit.unit == unit))
    if township:
        conditions.append(CaseRecord.township == township)
    if q and q.strip():
        holding, common, substring = _search_condition(session, q)
        (probed if common else narrowing).extend(holding)
        if substring is not None:
            conditions.append(substring)
    query = select(CaseRecord).where(
        *conditions,
        *repeated,
        *(CaseRecord.case_no.in_(n) for n in narrowing),
        *(p.where(CaseSearchGram.case_no == CaseRecord.case_no).exists() for p in probed),
    )
    if not conditions and len(narrowing + probed) == 1:  # one subquery answers every filter: count it alone
        total, capped = _count(session, (narrowing + probed)[0].distinct(), count_cap)
    else:
        total, capped = _count(session, query.with_only_columns(CaseRecord.case_no), count_cap)
    rows = session.exec(
        # a page of list rows: the workflow state (some 9 KB a case) and the description stay in the database
        query.options(defer(CaseRecord.state_json), defer(CaseRecord.description))
        # nearest deadline first, cases without one last: the deadline index gives the order (no sort)
        .order_by(CaseRecord.next_deadline_at.asc().nulls_last(), CaseRecord.registered_at.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return CasePage(list(rows), total, capped)


def case_stats(*, session: Session) -> dict:
    """Totals, closure rate, overdue counts and amounts, for the county and by lead unit and township
    (KPI: closure rate ≥ 95%). One pass over the cases, grouped by unit and township, folded here."""
    # A complaint joined to its matter (有案必接, domain/joining.py) is one matter with it: its claim is in the
    # matter's, and its closure (outcome `joined`) resolves nothing. It is counted in `joined`, apart from
    # the totals, the closures and the money (still one pass: the flag is one more grouping column).
    joined = (func.coalesce(CaseRecord.outcome, "") == JOINED).cast(Integer)
    rows = session.exec(
        select(
            CaseRecord.lead_unit,
            CaseRecord.township,
            joined,
            func.count(),
            func.sum((CaseRecord.stage == "closed").cast(Integer)),
            func.sum(CaseRecord.overdue.cast(Integer)),
            func.sum(CaseRecord.escalated.cast(Integer)),
            func.sum(CaseRecord.amount_claimed),
            func.sum(CaseRecord.amount_recovered),
        ).group_by(CaseRecord.lead_unit, CaseRecord.township, joined)
    ).all()
    county = {**_tally(), "amount_claimed": Decimal("0.00"), "amount_recovered": Decimal("0.00")}
    by_unit: dict[str, dict] = {}
    by_township: dict[str, dict] = {}
    for unit, township, is_joined, count, n_closed, n_overdue, n_escalated, claimed, recovered in rows:
        counts = (count, int(n_closed or 0), int(n_overdue or 0), int(n_escalated or 0))
        for tally in (
            county,
            by_unit.setdefault(unit or "-", _tally()),
            by_township.setdefault(township or "-", _tally()),
        ):
            if is_joined:
                tally["joined"] += count
                continue
            for key, n in zip(("total", "closed", "overdue", "escalated"), counts):
                tally[key] += n
        if not is_joined:
            county["amount_claimed"] += claimed  # sums of Money columns: Decimal, to the cent
            county["amount_recovered"] += recovered
    return {
        "total": county["total"],
        "closed": county["closed"],
        "joined": county["joined"],
        "closure_rate": _rate(county),
        "overdue": county["overdue"],
        "amount_claimed": county["amount_claimed"],
        "amount_recovered": county["amount_recovered"],
        "by_unit": {k: {**v, "closure_rate": _rate(v)} for k, v in by_unit.items()},
        "by_township": {k: {**v, "closure_rate": _rate(v)} for k, v in by_township.items()},
    }


def _tally() -> dict:
    return {"total": 0, "closed": 0, "overdue": 0, "escalated": 0, "joined": 0}


def _rate(tally: dict) -> float:
    return round(tally["closed"] / tally["total"], 4) if tally["total"] else 0.0
