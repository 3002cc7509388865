#!/usr/bin/env bash
# Creates docpipe's application database next to Airflow's metadata database, in the same server.
# The postgres image runs this once, when its data volume is first initialised; to run it again,
# remove the volume (`docker compose down -v`) or run the same SQL by hand.
set -euo pipefail

: "${DOCPIPE_DB_USER:?DOCPIPE_DB_USER must be set (docker-compose.yml passes it)}"
: "${DOCPIPE_DB_NAME:?DOCPIPE_DB_NAME must be set (docker-compose.yml passes it)}"
: "${DOCPIPE_DB_PASSWORD:?DOCPIPE_DB_PASSWORD must be set in .env}"

# psql variables (:"name" quotes an identifier, :'name' a literal) keep the password out of the SQL text.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_user="$DOCPIPE_DB_USER" -v app_db="$DOCPIPE_DB_NAME" -v app_password="$DOCPIPE_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
SQL
