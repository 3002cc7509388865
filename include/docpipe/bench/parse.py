"""Parse time of every DAG file, measured the two ways that matter.

- `python dags/x.py`: the Airflow best-practices check, wall time of a fresh interpreter, beside an
  interpreter that only imports `airflow.sdk` (what any DAG file pays before its own code).
- What the dag-processor does for one file, in a fresh process that has already imported Airflow (as
  the processor's forked parser has): `BundleDagBag(file, load_op_links=False)`, whose per-file
  duration is the figure Airflow reports, then serializing the DAGs it found.

Every figure is the median of several runs, each in a new process: module caches never carry over.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from docpipe.config import PROJECT_ROOT

DAGS = PROJECT_ROOT / "dags"

_PROCESSOR_CODE = r"""
import json, sys, time
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
from airflow.dag_processing.processor import _serialize_dags
import airflow.sdk  # noqa: F401  (the processor has it loaded before it forks a parser)
import structlog

path = Path(sys.argv[1])
started = time.perf_counter()
bag = BundleDagBag(dag_folder=str(path), bundle_path=path.parent, bundle_name="bench", load_op_links=False)
parsed = time.perf_counter()
serialized, errors = _serialize_dags(bag, structlog.get_logger())
done = time.perf_counter()
stats = bag.dagbag_stats
print(json.dumps({
    "dagbag_ms": stats[0].duration.total_seconds() * 1000 if stats else (parsed - started) * 1000,
    "parse_wall_ms": (parsed - started) * 1000,
    "serialize_ms": (done - parsed) * 1000,
    "dags": sorted(bag.dags), "import_errors": {k: str(v)[:500] for k, v in bag.import_errors.items()},
    "serialization_errors": len(errors or {}),
}))
"""


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": home,
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",  # never opened by a parse
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
    })  # fmt: skip
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # parse from cached bytecode, as a deployed processor does
    return env


def _wall_ms(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=PROJECT_ROOT)
    elapsed = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def dag_files() -> list[Path]:
    return sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))


def measure(repeats: int = 5) -> dict[str, dict[str, Any]]:
    """Per DAG file: lists of `python file` walls, import-airflow.sdk walls, and processor figures
    (keys script_ms, baseline_ms, dagbag_ms, serialize_ms: lists of milliseconds; dags: ids found)."""
    with tempfile.TemporaryDirectory(prefix="docpipe-bench-parse-") as home:
        env = _env(home)
        py = sys.executable
        _wall_ms([py, "-c", "import airflow.sdk"], env)  # the first run writes bytecode caches: not counted
        out: dict[str, dict] = {}
        for path in dag_files():
            _wall_ms([py, str(path)], env)
            runs: dict = {"script_ms": [], "baseline_ms": [], "dagbag_ms": [], "serialize_ms": []}
            for _ in range(repeats):
                runs["baseline_ms"].append(_wall_ms([py, "-c", "import airflow.sdk"], env))
                runs["script_ms"].append(_wall_ms([py, str(path)], env))
                proc = subprocess.run([py, "-c", _PROCESSOR_CODE, str(path)], env=env, capture_output=True,
                                      text=True, cwd=PROJECT_ROOT)  # fmt: skip
                if proc.returncode != 0:
                    raise RuntimeError(f"parsing {path.name} like the dag-processor failed:\n{proc.stderr[-2000:]}")
                result = json.loads(proc.stdout.strip().splitlines()[-1])
                if result["import_errors"]:
                    raise RuntimeError(f"{path.name} has import errors: {result['import_errors']}")
                runs["dagbag_ms"].append(result["dagbag_ms"])
                runs["serialize_ms"].append(result["serialize_ms"])
                runs["dags"] = result["dags"]
            out[path.name] = runs
    return out
