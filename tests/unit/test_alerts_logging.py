"""Production task logs go to CloudWatch when the environment of docs/alerting.md is set: Airflow's
logging configuration then picks the amazon provider's CloudWatch handler for that log group."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "alerting.md"
LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:docpipe-airflow-task-logs"


def _documented_env() -> dict[str, str]:
    block = DOCS.read_text().split("## Production logging: CloudWatch", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    env = dict(re.findall(r"^(AIRFLOW__LOGGING__[A-Z_]+)=(\S+)", block, re.M))
    assert {"AIRFLOW__LOGGING__REMOTE_LOGGING", "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"} <= set(env)
    return env


def test_the_documented_environment_sends_task_logs_to_cloudwatch(tmp_path):
    env = _documented_env()
    env["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] = f"cloudwatch://{LOG_GROUP_ARN}"
    code = (
        "from airflow.config_templates import airflow_local_settings as s; "
        "io = s.REMOTE_TASK_LOG; print(type(io).__name__, io.log_group_arn, io.log_group, io.region_name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "AIRFLOW_HOME": str(tmp_path), **env})  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-4:] == ["CloudWatchRemoteLogIO", LOG_GROUP_ARN, "docpipe-airflow-task-logs", "eu-west-1"]
