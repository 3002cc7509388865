"""The arithmetic and JSON shapes of `docpipe bench ingest|discovery|parse`, without any service."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest

from docpipe.bench import discovery, figures, procs
from docpipe.bench.figures import TaskSpan
from docpipe.bench.stack import as_uri

INGEST_KEYS = ["documents", "wall_s", "documents_per_hour", "airflow_overhead_share", "peak_rss_mb"]


def test_union_counts_overlapping_time_once_and_gaps_not_at_all():
    assert figures.union_seconds([(0, 10), (5, 15), (20, 30)]) == 25
    assert figures.union_seconds([(0, 10), (2, 3)]) == 10
    assert figures.union_seconds([(3, 3), (5, 4)]) == 0  # empty and reversed intervals add nothing
    assert figures.union_seconds([]) == 0


def test_concurrency_is_the_most_intervals_open_at_one_instant():
    assert figures.max_concurrency([(0, 10), (5, 15), (8, 9)]) == 3
    assert figures.max_concurrency([(0, 10), (10, 20)]) == 1  # one ends as the next starts
    assert figures.max_concurrency([]) == 0


def _run_spans() -> list[TaskSpan]:
    # discover 0-10 (no own timing), two slots of batch tasks, record_run 100-105.
    return [
        TaskSpan("discover", -1, 0, 10),
        TaskSpan("process_batch", 0, 12, 52, work_s=36),  # 4 s of start-up and teardown
        TaskSpan("process_batch", 1, 13, 55, work_s=38),  # 4 s
        TaskSpan("process_batch", 2, 55, 95, work_s=34),  # 6 s
        TaskSpan("record_run", -1, 100, 105),
    ]


def test_work_counts_what_tasks_measured_and_the_small_tasks_less_the_median_start_up():
    # batch tasks: 36 + 38 + 34; start-up median 4 s, so discover 10-4 and record_run 5-4.
    assert figures.work_seconds(_run_spans()) == pytest.approx(36 + 38 + 34 + 6 + 1)


def test_work_is_never_more_than_the_task_took():
    spans = [TaskSpan("process_batch", 0, 0, 10, work_s=12)]
    assert figures.work_seconds(spans) == 10


def test_overhead_splits_the_capacity_into_work_start_up_and_idle_slots():
    o = figures.overhead(110, _run_spans(), slots=2)
    assert o["capacity_s"] == 220
    assert o["task_s"] == 10 + 40 + 42 + 40 + 5
    assert o["work_s"] == pytest.approx(115)
    assert o["task_startup_s"] == pytest.approx(137 - 115)
    assert o["idle_s"] == pytest.approx(220 - 137)
    assert o["share"] == pytest.approx(1 - 115 / 220)
    assert o["work_s"] + o["task_startup_s"] + o["idle_s"] == pytest.approx(o["capacity_s"])
    # Without a slot count, the most tasks seen at once is used.
    assert figures.overhead(110, _run_spans())["slots"] == 2


def test_a_run_that_is_all_work_has_no_overhead_and_the_share_stays_in_range():
    spans = [TaskSpan("process_batch", 0, 0, 100, work_s=100)]
    assert figures.overhead(100, spans, slots=1)["share"] == 0
    assert figures.overhead(100, [], slots=1)["share"] == 1
    with pytest.raises(ValueError):
        figures.overhead(0, spans)


def test_ingest_json_has_the_issue_keys_first_and_is_one_serialisable_object():
    fig = figures.ingest_figures(documents=10_000, wall_s=400.0, spans=_run_spans(), peak_rss_mb=512.34, slots=2)
    assert list(fig)[: len(INGEST_KEYS)] == INGEST_KEYS
    assert fig["documents"] == 10_000
    assert fig["documents_per_hour"] == 90_000
    assert fig["documents_per_s"] == 25.0
    assert fig["peak_rss_mb"] == 512.3
    assert fig["airflow_overhead_share"] == round(1 - 115 / 800, 3)
    assert "pages_per_s_per_core" not in fig
    assert json.loads(json.dumps(fig)) == fig


def test_scanned_runs_add_pages_per_second_per_core():
    fig = figures.ingest_figures(documents=100, wall_s=200.0, spans=_run_spans(), peak_rss_mb=1, pages=320, cores=2)
    assert fig["pages_per_s_per_core"] == 0.8
    assert list(fig)[: len(INGEST_KEYS) + 1] == [*INGEST_KEYS, "pages_per_s_per_core"]


def test_loop_figures_are_the_same_headline_without_an_overhead_share():
    fig = figures.loop_figures(documents=1000, wall_s=50.0, peak_rss_mb=300, pages=1200, cores=2)
    assert fig["documents_per_hour"] == 72_000 and fig["documents_per_s"] == 20
    assert fig["pages_per_s_per_core"] == 12
    assert "airflow_overhead_share" not in fig


def test_the_command_reports_accounting_that_does_not_add_up():
    from docpipe.commands.bench_ingest import _accounting_errors

    good = {"listed": 5, "processed": 4, "quarantined": 1, "unchanged": 0, "status": "success"}
    assert _accounting_errors(5, good, "run") == []
    assert _accounting_errors(6, good, "run") == ["run: listed 5 of 6 documents", "run: 5 of 6 documents accounted for"]
    assert _accounting_errors(5, {**good, "status": "incomplete"}, "run") == ["run: run status incomplete"]
    assert _accounting_errors(5, {}, "run")  # no row at all is a failure


# ------------------------------------------------------------------------------ discovery, parse


def test_older_objects_never_land_in_the_measured_hour():
    hour = datetime(2026, 11, 26, 3, tzinfo=UTC)
    keys = discovery.older_keys(hour, 10_000, per_partition=40)
    assert len(set(keys)) == 10_000
    assert not [k for k in keys if "/2026/11/26/03/" in k]
    assert {k.split("/")[1] for k in keys} == set(discovery.TENANTS)
    per_partition: dict[str, int] = {}
    for k in keys:
        per_partition[k.rsplit("/", 1)[0]] = per_partition.get(k.rsplit("/", 1)[0], 0) + 1
    assert max(per_partition.values()) == 40
    assert len(per_partition) == 3 * 84  # 3,334 or 3,333 objects per tenant, 40 per hour
    assert all(k.startswith("uploads/") for k in discovery.hour_keys(hour, 5))


def test_discovery_figures_show_growth_and_whether_both_methods_found_the_same():
    def state(ours_s: float, alt_s: float, alt_requests: int) -> dict:
        return {"discovery": {"seconds": ours_s, "requests": 4, "keys_read": 1003, "found": 1000},
                "list_keys_whole_prefix": {"seconds": alt_s, "requests": alt_requests, "keys_read": 99, "found": 1000},
                "one_empty_list_request_s": 0.001}  # fmt: skip

    fig = figures.discovery_figures({"hour_documents": 1000, "older_objects": 100_000,
                                     "before": state(0.1, 0.2, 1), "after": state(0.12, 20.0, 101)})  # fmt: skip
    assert fig["discovery_s"] == [0.1, 0.12] and fig["discovery_growth"] == 1.2
    assert fig["discovery_requests"] == [4, 4]
    assert fig["list_keys_growth"] == 100.0 and fig["list_keys_requests"] == [1, 101]
    assert fig["same_documents_found"] is True
    assert json.loads(json.dumps(fig)) == fig


def test_parse_row_uses_medians_and_judges_the_dag_processor_figure():
    row = figures.parse_row("x.py", [900, 1000, 5000], [700, 800, 810], [150, 120, 900], [10, 12, 11])
    assert row["python_file_ms"] == 1000 and row["interpreter_and_airflow_sdk_ms"] == 800
    assert row["file_own_ms"] == 200 and row["dagbag_ms"] == 150 and row["serialize_ms"] == 11
    assert row["meets_goal"] is True
    assert figures.parse_row("y.py", [1], [1], [250])["meets_goal"] is False


# ------------------------------------------------------------------------------ /proc sampling


def test_stat_lines_parse_even_with_spaces_and_parentheses_in_the_name():
    fields = ["S", "41"] + ["0"] * 9 + ["150", "50"] + ["0"] * 8 + ["2560"] + ["0"] * 20
    line = "1234 (airflow worker (x)) " + " ".join(fields)
    assert procs.parse_stat(line) == (1234, 41, 2560, 200)


def test_descendants_follow_the_whole_tree_from_the_roots_only():
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 30: 0, 31: 30}
    assert procs.descendants(parents, [10]) == {10, 11, 12}
    assert procs.descendants(parents, [10, 30]) == {10, 11, 12, 30, 31}
    assert procs.descendants(parents, [99]) == set()


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("airflow worker -- 0199a6c2-6a4e-7d1b-9c1e-4b2f8a8d0e11", "task"),
        ("airflow worker -- LocalExecutor: dag_id=document_ingest ...", "supervisor"),
        ("/venv/bin/python /venv/bin/airflow scheduler", "scheduler"),
        ("/venv/bin/python /venv/bin/airflow dag-processor", "dag-processor"),
        ("/venv/bin/python /venv/bin/moto_server -H 127.0.0.1 -p 5055", "moto"),
        ("docpipe bench loop worker", "loop"),
        ("/usr/bin/bash", "other"),
    ],
)
def test_process_roles_come_from_their_titles(title, expected):
    assert procs.role(title) == expected


def test_the_sampler_sees_this_process_and_its_cpu():
    import os

    with procs.TreeSampler([os.getpid()], interval=0.05) as sampler:
        sum(i * i for i in range(300_000))
    assert sampler.samples >= 2
    assert sampler.peak_by_role.get("other", 0) > 1  # this interpreter, in MB
    assert sampler.peak_total_mb > 1
    assert sum(sampler.cpu_by_role().values()) >= 0


# ------------------------------------------------------------------------------ wiring


def test_airflow_connections_get_a_uri_whatever_form_the_dsn_has():
    assert as_uri("user=docpipe_pipeline dbname=db host=127.0.0.1 port=5432") == (
        "postgresql://docpipe_pipeline@127.0.0.1:5432/db"
    )
    assert as_uri("postgresql://postgres@127.0.0.1:5432/docpipe") == "postgresql://postgres@127.0.0.1:5432/docpipe"
    assert as_uri("host=h port=1 dbname=d user=u password=p@ss") == "postgresql://u:p%40ss@h:1/d"


def test_the_bench_commands_are_registered_with_their_options():
    from docpipe.commands import register_all

    parser = argparse.ArgumentParser()
    register_all(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", "ingest", "--docs", "20", "--scanned", "--json", "--batch-size", "50"])
    assert (args.docs, args.scanned, args.json, args.batch_size) == (20, True, True, 50)
    from docpipe.config import DEFAULT_BATCH_SIZE

    assert parser.parse_args(["bench", "ingest"]).batch_size == DEFAULT_BATCH_SIZE  # the DAG's own default
    assert parser.parse_args(["bench", "discovery"]).older == 100_000
    assert parser.parse_args(["bench", "parse", "--json"]).json is True


def test_cpu_figures_compare_every_airflow_process_with_the_loop_workers_and_moto():
    airflow = {"task": 300.0, "scheduler": 50.0, "moto": 100.0, "api_server": 50.0}
    loop = {"loop": 150.0, "moto": 100.0, "other": 40.0}  # "other" is the benchmark's own process
    fig = figures.cpu_figures(1000, airflow, loop)
    assert fig == {"cpu_s_per_document": 0.5, "plain_loop_cpu_s_per_document": 0.25, "cpu_overhead_vs_plain_loop": 0.5}
    assert figures.cpu_figures(1000, airflow, None) == {"cpu_s_per_document": 0.5}
