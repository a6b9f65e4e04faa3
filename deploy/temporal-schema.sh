#!/usr/bin/env bash
# Creates or upgrades Temporal's two PostgreSQL databases (temporal, temporal_visibility) with
# temporal-sql-tool: the ONE sequence of schema commands of both the tested production-shaped stack
# (dev/stack/temporalServer.ts runs this script) and docker-compose.yml (its temporal-schema job
# runs it in the admin-tools image). Safe to run again: an existing database is kept, and
# update-schema applies only the versions the database does not have yet.
#
# Environment: SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD (temporal-sql-tool reads them itself,
# so the password is never on a command line that `ps` shows);
#   TEMPORAL_SQL_TOOL    the tool (default: temporal-sql-tool on PATH)
#   TEMPORAL_SCHEMA_DIR  the module's schema/postgresql/v12 folder (.tools/temporal-server-v*/schema/...);
#                        unset: the schemas embedded in the tool itself, the same files
set -euo pipefail
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
: "${SQL_HOST:?SQL_HOST is not set}" "${SQL_PORT:?SQL_PORT is not set}" "${SQL_USER:?SQL_USER is not set}" "${SQL_PASSWORD:?SQL_PASSWORD is not set}"
export SQL_PLUGIN=postgres12

for schema in temporal visibility; do
  database=$([ "$schema" = temporal ] && echo temporal || echo temporal_visibility)
  if [ -n "${TEMPORAL_SCHEMA_DIR:-}" ]; then
    versions=(--schema-dir "$TEMPORAL_SCHEMA_DIR/$schema/versioned")
  else
    versions=(--schema-name "postgresql/v12/$schema")
  fi
  # create-database fails on a database that exists; only that failure is taken as "already there".
  if ! out=$("$tool" --db "$database" create-database 2>&1); then
    grep -q 'already exists' <<<"$out" || { echo "$out" >&2; echo "temporal-schema.sh: create-database $database failed" >&2; exit 1; }
  fi
  "$tool" --db "$database" setup-schema -v 0.0
  "$tool" --db "$database" update-schema "${versions[@]}"
done
echo "temporal-schema.sh: databases temporal and temporal_visibility are at the schema versions of $("$tool" --version 2>/dev/null | head -n1 || echo "$tool")" >&2
