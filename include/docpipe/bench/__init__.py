"""Benchmarks of the whole pipeline: an hour of documents through the real scheduler (`ingest`), the
hourly listing against a full bucket (`discovery`) and DAG parse times (`parse`). The `docpipe bench`
commands print what these return; `figures` holds the arithmetic, free of any service."""
