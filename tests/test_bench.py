"""The benchmark's pure parts: percentiles, the performance targets, the markdown table and the chart.

The benchmark itself (`make bench`) starts a dev server and takes minutes; it is not part of the tests.
"""

import xml.etree.ElementTree as ET

import pytest

from bench.__main__ import parse_args
from bench.report import (
    FAIL,
    NOT_MEASURED,
    PASS,
    chart_svg,
    cpu_per_item,
    evaluate_targets,
    latency_summary,
    markdown,
    percentile,
    rate,
)


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([4, 1, 3, 2], 0) == 1
    assert percentile([4, 1, 3, 2], 100) == 4
    assert percentile(list(range(1, 102)), 99) == 100  # 101 values: rank 99 is the value 100
    assert percentile([10, 20], 25) == 12.5
    assert percentile([7], 99) == 7


@pytest.mark.parametrize("values, p", [([], 50), ([1, 2], -1), ([1, 2], 101)])
def test_percentile_refuses_nonsense(values, p):
    with pytest.raises(ValueError):
        percentile(values, p)


def test_latency_summary_is_in_milliseconds():
    summary = latency_summary([0.010, 0.020, 0.030, 0.040, 1.0])
    assert summary["count"] == 5
    assert summary["p50"] == 30.0
    assert summary["max"] == 1000.0
    assert 40.0 < summary["p99"] < 1000.0
    assert latency_summary([]) == {"count": 0}


def test_rate_and_cpu_per_item():
    assert rate(100, 4.0) == 25.0
    assert rate(5, 0) == 0.0
    before = {"worker": 10.0, "api": 2.0, "gone": 1.0}
    after = {"worker": 13.0, "api": 2.5}
    assert cpu_per_item(before, after, 100) == {"worker": 30.0, "api": 5.0}
    assert cpu_per_item(before, after, 0) == {}


def results(
    *,
    ceiling=40.0,
    intake=30.0,
    storm_seconds=10.0,
    storm_cases=500,
    list_p99=20.0,
    stats_p99=150.0,
    rss=(150.0, 160.0),
    events=60,
    long_runs=(120, 140),
) -> dict:
    latency = {
        q: {"count": 100, "p50": 5.0, "p99": list_p99, "max": list_p99 + 1} for q in ("list", "filter", "search")
    }
    latency["stats"] = {"count": 100, "p50": 50.0, "p99": stats_p99, "max": stats_p99 + 1}
    return {
        "ceiling": {"workflows_per_s": ceiling, "count": 3000, "in_flight": 200, "latency_ms": {"count": 0}},
        "intake": {
            "cases_per_s": intake,
            "count": 1000,
            "concurrency": 50,
            "latency_ms": latency["list"],
            "ratio_to_ceiling": intake / ceiling,
        },
        "lifecycle": {
            "cases_per_s": 5.0,
            "count": 200,
            "concurrency": 50,
            "ratio_to_ceiling": 5 / ceiling,
            "history_events": {"min": events - 2, "mean": events - 1, "max": events},
            "state_transitions": {"min": 7, "mean": 7, "max": 7},
            "long_case": {
                "case_no": "DX-2026-000002",
                "notes": 30,
                "runs": len(long_runs),
                "events_per_run": list(long_runs),
                "events_total": sum(long_runs),
            },
        },
        "storm": {"cases": storm_cases, "seconds_to_all_escalated": storm_seconds, "n_over_ceiling_s": 12.5},
        "scale": {
            "open_cases": 100_000,
            "worker_rss_mb": rss[1],
            "server_rss_mb": 400.0,
            "api_rss_mb": 150.0,
            "temporal_bytes_per_case": 20_000.0,
            "service_bytes_per_case": 15_000.0,
            "checkpoints": [
                {"open_cases": 10_000, "worker_rss_mb": rss[0], "server_rss_mb": 300.0},
                {"open_cases": 100_000, "worker_rss_mb": rss[1], "server_rss_mb": 500.0},
            ],
            "queries": {"postgres": {"cases": 100_000, "latency_ms": latency}},
        },
        "replay": {"case_no": "DX-2026-000001", "events": events, "seconds": 0.05, "first_seconds": 0.2},
    }


def statuses(res: dict) -> dict[str, str]:
    return {t["name"].split(",")[0]: t["status"] for t in evaluate_targets(res)}


def test_targets_pass_when_every_figure_is_within_its_limit():
    got = statuses(results())
    assert got == {
        "intake ÷ ceiling": PASS,
        "deadline storm": PASS,
        "list p99": PASS,
        "filter p99": PASS,
        "search p99": PASS,
        "stats p99": PASS,
        "worker RSS 10k → 100k parked": PASS,
        "history events per full lifecycle": PASS,
        "history events per run": PASS,
    }


def test_each_target_fails_on_its_own_figure():
    assert statuses(results(intake=20.0))["intake ÷ ceiling"] == FAIL  # 0.5 < 0.6
    assert statuses(results(storm_seconds=26.0))["deadline storm"] == FAIL  # 2 × 500 / 40 = 25 s
    assert statuses(results(storm_seconds=25.0))["deadline storm"] == PASS
    slow = statuses(results(list_p99=51.0, stats_p99=201.0))
    assert slow["list p99"] == slow["search p99"] == slow["stats p99"] == FAIL
    assert statuses(results(rss=(150.0, 181.0)))["worker RSS 10k → 100k parked"] == FAIL  # +21%
    assert statuses(results(events=151))["history events per full lifecycle"] == FAIL
    assert statuses(results(long_runs=(175,)))["history events per run"] == FAIL  # no continue-as-new


def test_targets_not_measured_are_said_so():
    res = results()
    del res["storm"]
    res["scale"]["checkpoints"] = res["scale"]["checkpoints"][:1]
    got = statuses(res)
    assert got["deadline storm"] == NOT_MEASURED
    assert got["worker RSS 10k → 100k parked"] == NOT_MEASURED
    assert statuses({})["intake ÷ ceiling"] == NOT_MEASURED


def test_a_run_that_stops_short_of_100k_says_how_far_it_got():
    res = results(rss=(385.0, 390.0))
    res["scale"]["checkpoints"][1]["open_cases"] = 40_000
    row = next(t for t in evaluate_targets(res) if t["name"].startswith("worker RSS"))
    assert row["name"] == "worker RSS 10k → 40k parked" and row["status"] == PASS
    assert row["figure"] == "385 → 390 MB (+1%)" and "stopped at 40,000" in row["note"]


def test_markdown_table_has_the_figures_and_marks_failures():
    res = results(intake=20.0)
    res["meta"] = {
        "finished_at": "2026-01-01T00:00:00+00:00",
        "mode": "quick",
        "seconds": 100,
        "machine": "2 CPUs",
        "notes": ["a note | with a pipe"],
    }
    text = markdown(res)
    assert "| a. ceiling: no-op workflows/s | 40 |" in text
    assert "| b. intake: complaints/s | 20 |" in text
    assert "| c. a long case: 30 notes, then closed | 260 events | 2 run(s) of 120, 140 events |" in text
    assert "**FAIL**" in text and "0.50 (20 / 40 per s)" in text
    assert "- a note | with a pipe" in text  # notes are a list, not table cells
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") >= 2 for line in rows)


def test_chart_is_valid_svg_and_colours_a_missed_target():
    good = ET.fromstring(chart_svg(results()))
    assert good.tag.endswith("svg")
    red = [e for e in good.iter() if e.get("fill") == "#c0392b"]
    assert red == []
    bad = ET.fromstring(chart_svg(results(intake=20.0, list_p99=80.0)))
    red = [e for e in bad.iter() if e.get("fill") == "#c0392b"]
    assert len(red) == 4  # intake below its minimum; list, filter and search above 50 ms


def test_quick_mode_is_small_and_options_override_it():
    quick = parse_args(["--quick"])
    assert (quick.storm, quick.scale, quick.pg_cases) == (100, 1_000, 10_000)
    full = parse_args(["--cases", "50", "--scale", "20000"])
    assert (full.storm, full.scale, full.mode) == (50, 20_000, "full")
    assert full.queries is None and parse_args(["--queries", "1000"]).queries == 1_000


def test_case_queries_fill_a_scratch_database_and_time_every_query():
    from bench import case_queries

    rows = list(case_queries.case_rows(400))
    assert len({case["stage"] for case, _, _ in rows}) >= 6 and len({case["township"] for case, _, _ in rows}) >= 6
    assert 0 < sum(case["overdue"] for case, _, _ in rows) < 100
    assert sum("劳务有限公司" in case["employer_name"] for case, _, _ in rows) > 150  # a common bigram query
    assert [case["case_no"] for case, _, _ in rows if case["employer_name"] == case_queries.RARE_EMPLOYER] == [
        "DX-2026-000200"
    ]
    result = case_queries.run("sqlite", 400, rounds=2, count_cap=100)
    totals = {r["query"]: r.get("total") for r in result["queries"]}
    assert set(totals) == set(case_queries.queries(100))
    assert totals["search rare name 鹤鸣山泉"] == "1"
    assert totals["search common bigrams 劳务有限"] == "100+" and totals["stats"] is None
    assert int(totals["search 劳务有限, every match counted"]) > 100
    assert all(r["count"] == 2 and r["p99"] >= r["p50"] > 0 for r in result["queries"])
    assert "| search rare name 鹤鸣山泉 |" in result["table"]
