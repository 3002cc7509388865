"""The macros plugin loads through Airflow's plugin manager and names the interval's partitions."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[2] / "plugins" / "docpipe_macros.py"


def _load():
    spec = importlib.util.spec_from_file_location("docpipe_macros_plugin", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upload_prefixes_cover_the_interval():
    m = _load()
    got = m.upload_prefixes(datetime(2026, 3, 14, 22, tzinfo=UTC), datetime(2026, 3, 15, 1, tzinfo=UTC), "acme")
    assert got == ["uploads/acme/2026/03/14/22/", "uploads/acme/2026/03/14/23/", "uploads/acme/2026/03/15/00/"]


def test_plugin_registers_the_macro():
    m = _load()
    assert m.DocpipeMacrosPlugin.name == "docpipe_macros"
    assert m.upload_prefixes in m.DocpipeMacrosPlugin.macros
