# docpipe's Airflow image: the official Airflow 3.3.2 image + Tesseract OCR + docpipe and its LOCKED dependencies.
#
#   docker compose build                      # docker-compose.yml builds it for every Airflow service
#   docker build -t docpipe-airflow:local .
#
# Nothing is installed at container start (no _PIP_ADDITIONAL_REQUIREMENTS): what runs is what uv.lock says.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
# The uv that wrote uv.lock (a lock needs a uv at least as new as the one that wrote it).
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${AIRFLOW_IMAGE}

# Numeric ids: 0 is root, 50000 the official image's `airflow` user (AIRFLOW_UID in docker-compose.yml).
USER 0
# Tesseract is the local extraction engine's OCR for pages without a text layer.
# Not pinned to Debian package versions: the base image's Debian point release moves them, and a pin
# that no longer exists breaks the build; the Airflow base image tag pins the distribution.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*

# A uv of our own, at a path of its own, so the build does not depend on the base image's uv version.
COPY --from=uv /uv /opt/uv/uv

# fakesnow's DuckDB files (the local Snowflake stand-in). Created here so that a named volume mounted on
# this path starts out owned by the airflow user.
RUN mkdir -p /var/lib/docpipe/fakesnow \
    && chown -R airflow:0 /var/lib/docpipe \
    && chmod -R g+rwX /var/lib/docpipe

# Tesseract on one thread per process: 4-7x faster on 2 cores than its OpenMP default; docpipe
# parallelises across documents instead (shared/notes/LOCAL_STACK.md).
ENV OMP_THREAD_LIMIT=1 \
    DOCPIPE_FAKESNOW_PATH=/var/lib/docpipe/fakesnow

USER 50000
WORKDIR /opt/airflow

# 1. Third-party dependencies, exactly as locked (this layer changes only when the lock does).
#    `--frozen` installs uv.lock as committed, without resolving anything (`uv lock --check` verifies
#    beforehand that the lock still matches pyproject.toml).
#    The install goes into the image's own Python environment (the official image's $VIRTUAL_ENV,
#    /home/airflow/.local), next to the Airflow it ships; packages already there at the locked
#    version are kept, others are replaced by the locked version.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN /opt/uv/uv export --quiet --frozen --no-dev --no-emit-project --format requirements.txt -o /tmp/requirements.txt \
    && /opt/uv/uv pip install --no-cache --python "$(command -v python)" -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# 2. The project: dags/, plugins/, operators/, include/ and sql/ (.dockerignore admits nothing else).
#    Installed editable so that docpipe's PROJECT_ROOT is /opt/airflow: migrations are read from
#    /opt/airflow/sql/postgres and the warehouse DDL from /opt/airflow/sql/snowflake (a plain wheel
#    would carry the Python packages but not sql/).
COPY --chown=airflow:0 . /opt/airflow/
RUN mkdir -p /opt/airflow/dags /opt/airflow/plugins \
    && /opt/uv/uv pip install --no-cache --no-deps --python "$(command -v python)" -e /opt/airflow \
    && tesseract --version >/dev/null \
    && python -c "import airflow.providers.celery.executors.celery_executor, statsd, docpipe, operators, fakesnow, pytesseract; \
from docpipe.config import PROJECT_ROOT; \
assert str(PROJECT_ROOT) == '/opt/airflow', PROJECT_ROOT; \
assert (PROJECT_ROOT / 'sql' / 'postgres').is_dir(), 'sql/postgres is missing from the image'"
# The import line above loads the CeleryExecutor itself, so a Celery release the celery provider cannot
# use fails the build rather than the workers.

# 3. The model cache: fast forms of the models that ship in the engines' packages, built once into the
#    image (read-only at run time) instead of by each worker's first task.
ENV DOCPIPE_MODEL_CACHE=/opt/airflow/.docpipe-models
RUN docpipe models prepare
