#!/usr/bin/env bash
# Fixtures made by pg_dump 18 (PostgreSQL 18.6, from scripts/install-pg18)
# against the local server: planner statistics (`--statistics`) in plain,
# custom (-Z0, so a leak is visible in the raw bytes) and directory
# format, of a table whose e-mails a rule hashes, with an expression index
# and a materialized view over those e-mails (whose statistics hold them
# too).
#
#   scripts/make-fixtures-pg18.sh
#
# Outputs under fixtures/postgres/pg18/: statistics.sql,
# statistics-z0.dump, statistics-dir/. The database "dumpmask_fixture_pg18"
# is dropped and recreated.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(scripts/install-pg18)
export PGUSER=${PGUSER:-postgres} PGHOST=${PGHOST:-127.0.0.1}
db=dumpmask_fixture_pg18
out=fixtures/postgres/pg18
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TABLE customers (id integer PRIMARY KEY, email text, city text);
INSERT INTO customers
  SELECT g, 'pii' || lpad((g % 40)::text, 4, '0') || '@x.io', 'c' || (g % 7)
  FROM generate_series(1, 300) g;
CREATE INDEX customers_lower_email ON customers (lower(email));
CREATE MATERIALIZED VIEW customer_emails AS SELECT email FROM customers;
CREATE TABLE cities (name text);
INSERT INTO cities SELECT 'c' || g FROM generate_series(0, 6) g;
ANALYZE;
SQL
rm -rf "$out" && mkdir -p "$out"
"$bin/pg_dump" --statistics --restrict-key=dumpmaskfixture -f "$out/statistics.sql" "$db"
"$bin/pg_dump" --statistics -Fc -Z0 -f "$out/statistics-z0.dump" "$db"
"$bin/pg_dump" --statistics -Fd -Z0 -f "$out/statistics-dir" "$db"
echo "wrote $out"
