"""Fixtures of the reliability suites: the fault-injecting proxy in front of the session's moto server,
and S3/DynamoDB clients that bypass it (to stage uploads and read the stores back)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .faults import FaultProxy


def direct_client(service: str) -> Any:
    """A boto3 client talking to moto itself, never through the proxy."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{os.environ['DOCPIPE_MOTO_PORT']}",
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "docpipe-local"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "docpipe-local"),
    )


@pytest.fixture(scope="session")
def fault_proxy(stack: Any) -> Iterator[FaultProxy]:
    proxy = FaultProxy(int(os.environ["DOCPIPE_MOTO_PORT"]), seed=1234).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(fault_proxy: FaultProxy) -> Iterator[FaultProxy]:
    """The proxy with no rules yet, routing this process's AWS clients for the test's duration."""
    fault_proxy.clear()
    fault_proxy.fired.clear()
    with fault_proxy.routing():
        yield fault_proxy
    fault_proxy.clear()


@pytest.fixture(scope="session")
def s3_direct(stack: Any) -> Any:
    return direct_client("s3")


@pytest.fixture(scope="session")
def dynamodb_direct(stack: Any) -> Any:
    return direct_client("dynamodb")
