"""Alerting for the pipeline's on-call engineer: deadline ("SLA") alerts, task-failure alerts, the
notifiers they go through, and the Sentry scrubber.

- `deadlines`: the `DeadlineAlert`s the DAGs declare, with defaults from the environment.
- `callbacks`: what Airflow calls when a deadline passes (triggerer) or a task fails for good (worker).
- `message`: one `Alert` shape, rendered as text, JSON, Slack blocks and e-mail.
- `notifiers`: the channels (generic webhook, Slack webhook, Amazon SNS, e-mail, log) chosen by configuration.
- `sentry`: a `before_send` that strips document text, PII and secrets from Sentry events.
- `settings`: every `DOCPIPE_ALERT_*` / `DOCPIPE_DEADLINE_*` variable in one place.

Importing this package (and `deadlines`, `callbacks`) is cheap: DAG files import it at parse time.
"""
