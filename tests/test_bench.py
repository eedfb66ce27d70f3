"""The benchmark's pure parts: percentiles, the performance targets, the markdown table and the chart.

The benchmark itself (`make bench`) takes minutes; the tests marked e2e run it with tiny numbers (a dev
server, worker and API of its own, under a minute each) and check that its output has the figures.
"""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bench.__main__ import PHASES, parse_args
from bench.fill import levels
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
    lifecycle=10.0,
    intake_p99=1500.0,
    worker_api_ms=(10.0, 6.0),
    temporal_bytes=15_000.0,
) -> dict:
    latency = {
        q: {"count": 100, "p50": 5.0, "p99": list_p99, "max": list_p99 + 1} for q in ("list", "filter", "search")
    }
    latency["stats"] = {"count": 100, "p50": 50.0, "p99": stats_p99, "max": stats_p99 + 1}
    return {
        "ceiling": {
            "workflows_per_s": ceiling,
            "count": 3000,
            "in_flight": 200,
            "latency_ms": {"count": 0},
            "cpu_ms": {"temporal": 15.0, "noop_worker": 3.0, "bench": 2.0},  # a no-op costs 20 ms in all
        },
        "intake": {
            "cases_per_s": intake,
            "count": 1000,
            "concurrency": 50,
            "latency_ms": {"count": 1000, "p50": 500.0, "p99": intake_p99, "max": intake_p99 + 1},
            "cpu_ms": {"temporal": 20.0, "worker": worker_api_ms[0], "api": worker_api_ms[1], "bench": 2.0},
            "ratio_to_ceiling": intake / ceiling,
        },
        "lifecycle": {
            "cases_per_s": lifecycle,
            "count": 200,
            "concurrency": 50,
            "ratio_to_ceiling": lifecycle / ceiling,
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
            "temporal_bytes_per_case": temporal_bytes,
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
        "lifecycle ÷ ceiling": PASS,
        "intake p99": PASS,
        "worker + API CPU per complaint": PASS,
        "Temporal bytes per case": PASS,
        "service-DB bytes per case": PASS,
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
    assert statuses(results(lifecycle=7.9))["lifecycle ÷ ceiling"] == FAIL  # 0.1975 < 0.2
    assert statuses(results(intake_p99=2001.0))["intake p99"] == FAIL
    # worker + API in no-op workflows of the same run: 16.6 / 20 = 0.83 passes, 17 / 20 = 0.85 fails
    assert statuses(results(worker_api_ms=(10.6, 6.0)))["worker + API CPU per complaint"] == PASS
    assert statuses(results(worker_api_ms=(11.0, 6.0)))["worker + API CPU per complaint"] == FAIL
    assert statuses(results(temporal_bytes=17_888.0))["Temporal bytes per case"] == FAIL  # half of 35,775


def test_targets_not_measured_are_said_so():
    res = results()
    del res["storm"]
    res["scale"]["checkpoints"] = res["scale"]["checkpoints"][:1]
    got = statuses(res)
    assert got["deadline storm"] == NOT_MEASURED
    assert got["worker RSS 10k → 100k parked"] == NOT_MEASURED
    assert statuses({})["intake ÷ ceiling"] == NOT_MEASURED
    assert statuses({})["lifecycle ÷ ceiling"] == statuses({})["worker + API CPU per complaint"] == NOT_MEASURED
    assert statuses({})["intake p99"] == statuses({})["Temporal bytes per case"] == NOT_MEASURED


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
    assert (quick.storm, quick.scale, quick.pg_cases) == (100, [1_000], 10_000)
    full = parse_args(["--cases", "50", "--scale", "20000"])
    assert (full.storm, full.scale, full.mode) == (50, [20_000], "full")
    assert full.phases == [p for p in PHASES if p != "workers"] and full.workers is None
    assert full.queries is None and parse_args(["--queries", "1000"]).queries == 1_000


def test_scale_levels_workers_and_only():
    args = parse_args(["--scale", "10000,40000,100_000", "--workers", "1,2", "--only", "scale,intake"])
    assert args.scale == [10_000, 40_000, 100_000] and args.workers == [1, 2]
    assert args.phases == ["intake", "workers", "scale"]  # --workers adds its phase, in the phases' order
    assert parse_args(["--only", "scale"]).phases == ["scale"]
    for bad in (["--scale", "0"], ["--scale", "ten"], ["--only", "fill"], ["--only", "workers"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_fill_levels():
    assert levels([10_000, 40_000, 100_000], 5) == [10_000, 40_000, 100_000]
    assert levels([40_000, 10_000], 20_000) == [40_000]  # levels already passed are not filled again
    assert levels([25_000], 5) == [1_000, 10_000, 20_000, 25_000]  # one level: the checkpoints below it too
    assert levels([50], 100) == [50]  # nothing to fill: measured where it stands


def test_rows_of_the_fill_levels_and_of_the_worker_counts():
    res = results()
    res["scale"]["fill_cases_per_s"], res["scale"]["filled"], res["scale"]["in_flight"] = 30.5, 99_995, 200
    res["scale"]["checkpoints"][0].update(fill_cases_per_s=31.0, cpu_ms={"temporal": 20.0, "worker": 21.0})

    def run(workers: int, rate: float) -> dict:
        intake = {"cases_per_s": rate, "count": 100, "concurrency": 50, "latency_ms": {"count": 0}}
        intake["cpu_ms"] = {"worker": 20.0, "worker_2": 5.0} if workers == 2 else {"worker": 25.0}
        lifecycle = {"cases_per_s": rate / 5, "count": 20, "concurrency": 50}
        return {"workers": workers, "load_at_start": 1.0, "intake": intake, "lifecycle": lifecycle}

    res["workers"] = {"runs": [run(1, 20.0), run(2, 25.0), run(1, 18.0), run(2, 27.0)]}
    text = markdown(res)
    assert "| e. fill: cases/s | 30.5 | 99,995 cases started with the Temporal client, 200 in flight" in text
    assert "| e. RSS at 10,000 open | worker 150 MB | dev server 300 MB; filled up to it at 31 cases/s |" in text
    assert "| e. CPU per fill case up to 10,000 |  | CPU ms per item: temporal 20, worker 21 |" in text
    assert "| w. 1 worker process(es): intake complaints/s | 20 |" in text
    assert "| w. 2 worker process(es): intake complaints/s | 25 |" in text
    assert "| w. 2 ÷ 1 worker process(es) | intake × 1.37 | lifecycle × 1.37; means of 2 and 2 run(s) |" in text
    assert "(all workers 25)" in text and "| w. 2 worker process(es): lifecycle cases/s | 5 |" in text


def run_bench(tmp_path: Path, *args: str) -> tuple[dict, str]:
    """`python -m bench` with tiny numbers; its latest.json and latest.md."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args, "--results", str(tmp_path)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((tmp_path / "latest.json").read_text()), (tmp_path / "latest.md").read_text()


@pytest.mark.e2e
def test_the_scale_phase_alone_reports_fill_rate_and_memory_at_each_level(tmp_path):
    res, text = run_bench(tmp_path, "--only", "scale", "--scale", "20,50")
    assert set(res) == {"meta", "scale", "targets"}  # no other phase ran
    scale = res["scale"]
    assert [c["open_cases"] for c in scale["checkpoints"]] == [20, 50]  # 5 warm-up cases, then the fill
    assert scale["filled"] == 45 and scale["fill_cases_per_s"] > 0
    for c in scale["checkpoints"]:
        assert c["worker_rss_mb"] > 0 and c["server_rss_mb"] > 0 and c["fill_cases_per_s"] > 0
        assert c["fill_errors"] == 0
    assert "| e. fill: cases/s |" in text and "| e. RSS at 50 open | worker " in text


@pytest.mark.e2e
def test_the_workers_phase_reports_throughput_for_each_count(tmp_path):
    res, text = run_bench(
        tmp_path, "--only", "workers", "--workers", "1,2", "--intake", "6", "--lifecycle", "2", "--concurrency", "3"
    )
    runs = res["workers"]["runs"]
    assert [r["workers"] for r in runs] == [1, 2]
    for r in runs:
        assert r["intake"]["count"] == 6 and r["intake"]["cases_per_s"] > 0
        assert r["lifecycle"]["count"] == 2 and r["lifecycle"]["cases_per_s"] > 0
    assert len(runs[0]["worker_rss_mb"]) == 1 and len(runs[1]["worker_rss_mb"]) == 2
    assert "worker_2" in runs[1]["intake"]["cpu_ms"]
    assert "| w. 2 worker process(es): intake complaints/s |" in text


def test_case_queries_fill_a_scratch_database_and_time_every_query():
    from bench import case_queries

    rows = list(case_queries.case_rows(400))
    assert len({case["stage"] for case, _, _ in rows}) >= 6 and len({case["township"] for case, _, _ in rows}) >= 6
    assert 0 < sum(case["overdue"] for case, _, _ in rows) < 100
    assert sum("劳务有限公司" in case["employer_name"] for case, _, _ in rows) > 150  # a common bigram query
    assert [case["case_no"] for case, _, _ in rows if case["employer_name"] == case_queries.RARE_EMPLOYER] == [
        "DX-2026-000200"
    ]
    result = case_queries.run("sqlite", 400, rounds=2, count_cap=100, search_cap=50)
    totals = {r["query"]: r.get("total") for r in result["queries"]}
    assert set(totals) == set(case_queries.queries(100, 50))
    assert totals["search rare name 鹤鸣山泉"] == "1"
    assert totals["search common bigrams 劳务有限"] == "50+" and totals["stats"] is None
    assert totals["list (admin, offset 0..200)"] == "100+"  # a list without a search: the list's cap
    assert int(totals["search 劳务有限, every match counted"]) > 100
    assert all(r["count"] == 2 and r["p99"] >= r["p50"] > 0 for r in result["queries"])
    assert "| search rare name 鹤鸣山泉 |" in result["table"]
