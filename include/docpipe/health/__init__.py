"""The pipeline health view: per interval and tenant, what each run listed, processed, quarantined and
skipped, whether its SLA was met, and the moderation review/block counts, with links to the runs.

`queries` reads Postgres (importable without Airflow); `app` is the FastAPI app that the Airflow
plugin `plugins/docpipe_health.py` mounts at `/docpipe-health`, behind Airflow's own login.
"""
