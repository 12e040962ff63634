#!/usr/bin/env bash
# Regenerate the PostgreSQL fixtures under fixtures/postgres/ from a real
# local PostgreSQL server (written against PostgreSQL 15 / pg_dump 15).
#
#   scripts/make-fixtures-postgres.sh            # regenerate dumps
#   scripts/make-fixtures-postgres.sh --verify   # also restore each dump into
#                                                # scratch databases, compare
#                                                # row counts, drop them
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER; PGUSER
# defaults to "postgres" here).  The role must be able to create databases.
# The databases "dumpmask_fixture" and "dumpmask_fixture_bpchar" are dropped
# and recreated; they are left in place afterwards so the fixtures can be
# inspected against them.
#
# Outputs (all under fixtures/postgres/):
#   plain.sql           pg_dump (plain format, COPY ... FROM stdin)
#   inserts.sql         pg_dump --inserts
#   column-inserts.sql  pg_dump --column-inserts
#   custom.dump         pg_dump -Fc (default compression, gzip level -1)
#   custom-z0.dump      pg_dump -Fc -Z0 (uncompressed data blocks)
#   directory/          pg_dump -Fd (toc.dat + one NNNN.dat.gz per table/blob)
#   bpchar.sql          pg_dump of bpchar-schema.sql (its own database,
#                       dumpmask_fixture_bpchar): a padded char(3) column
#
# Stability: plain-format output is byte-identical across runs on the same
# server version (no timestamps; fixed large-object OID; PGTZ pinned so
# timestamptz renders in UTC; the \restrict key pinned, see below).  The
# custom and directory archives embed the dump's creation time in their
# header/toc.dat, so they differ in those bytes on every run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$root/fixtures/postgres"
schema="$out/schema.sql"
db="dumpmask_fixture"

verify=0
case "${1:-}" in
    --verify) verify=1 ;;
    "") ;;
    *) echo "usage: $0 [--verify]" >&2; exit 2 ;;
esac

export PGUSER="${PGUSER:-postgres}"
# Render timestamptz in UTC regardless of the server's TimeZone setting.
export PGTZ=UTC
export LC_ALL=C
# Keep "does not exist, skipping" notices off the terminal.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

for tool in psql pg_dump pg_restore; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

echo "== recreating database $db"
psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
# template0 + fixed encoding/locale: independent of the cluster's defaults.
psql_admin -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"

echo "== loading $schema"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$schema" >/dev/null

echo "== dumping"
rm -rf "$out/directory"
rm -f "$out/plain.sql" "$out/inserts.sql" "$out/column-inserts.sql" \
      "$out/custom.dump" "$out/custom-z0.dump" "$out/bpchar.sql"
# pg_dump 15.14+ (and 13.22/14.19/16.10/17.6+) wraps plain-format output in
# psql "\restrict KEY" ... "\unrestrict KEY" (CVE-2025-8714) with a random
# KEY per run; pin the key so plain dumps are byte-identical across runs.
# (--restrict-key is accepted for plain format only.)
plain_opts=()
# (Capture --help first: "pg_dump --help | grep -q" can fail under pipefail
# when grep exits early and pg_dump gets SIGPIPE.)
pg_dump_help="$(pg_dump --help)"
if [[ "$pg_dump_help" == *--restrict-key* ]]; then
    plain_opts+=(--restrict-key=dumpmaskFixtureKey)
fi
pg_dump -d "$db" ${plain_opts[@]+"${plain_opts[@]}"} -f "$out/plain.sql"
pg_dump -d "$db" ${plain_opts[@]+"${plain_opts[@]}"} --inserts -f "$out/inserts.sql"
pg_dump -d "$db" ${plain_opts[@]+"${plain_opts[@]}"} --column-inserts -f "$out/column-inserts.sql"
pg_dump -d "$db" -Fc -f "$out/custom.dump"
pg_dump -d "$db" -Fc -Z0 -f "$out/custom-z0.dump"
pg_dump -d "$db" -Fd -f "$out/directory"

bpchar_db="${db}_bpchar"
psql_admin -c "DROP DATABASE IF EXISTS $bpchar_db WITH (FORCE)"
psql_admin -c "CREATE DATABASE $bpchar_db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
psql -X -q -v ON_ERROR_STOP=1 -d "$bpchar_db" -f "$out/bpchar-schema.sql" >/dev/null
pg_dump -d "$bpchar_db" ${plain_opts[@]+"${plain_opts[@]}"} -f "$out/bpchar.sql"

ls -l "$out"

[ "$verify" -eq 1 ] || exit 0

# ---------------------------------------------------------------------------
# --verify: restore every dump into a scratch database and compare row counts
# with the source database.
# ---------------------------------------------------------------------------
tables=(public.customers 'crm."Customer Accounts"' public.orders public.events
        public.events_2023 public.events_2024 public.sessions public.audit_log
        public.orders_per_customer)

counts() {  # db -> "table=count" lines, plus the large object count
    local d="$1" t q=""
    for t in "${tables[@]}"; do
        q+="SELECT '$(printf %s "$t" | sed "s/'/''/g")' || '=' || count(*) FROM $t UNION ALL "
    done
    q+="SELECT 'pg_largeobject_metadata=' || count(*) FROM pg_largeobject_metadata"
    psql -X -At -v ON_ERROR_STOP=1 -d "$d" -c "$q"
}

expected="$(counts "$db")"
echo "== source row counts"
echo "$expected"

scratch=()
cleanup() {
    local d
    for d in "${scratch[@]}"; do
        psql_admin -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" || true
    done
}
trap cleanup EXIT

fail=0
check() {  # name, restore command...
    local name="$1"; shift
    local d="${db}_verify_${name//-/_}"
    scratch+=("$d")
    psql_admin -c "DROP DATABASE IF EXISTS $d WITH (FORCE)"
    psql_admin -c "CREATE DATABASE $d TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    "$@" "$d"
    local got
    got="$(counts "$d")"
    if [ "$got" = "$expected" ]; then
        echo "ok   $name"
    else
        echo "FAIL $name"; diff <(echo "$expected") <(echo "$got") || true
        fail=1
    fi
}
restore_plain() { psql -X -q -v ON_ERROR_STOP=1 -f "$1" -d "$2" >/dev/null; }
restore_archive() { pg_restore --exit-on-error -d "$2" "$1"; }

check plain          restore_plain   "$out/plain.sql"
check inserts        restore_plain   "$out/inserts.sql"
check column-inserts restore_plain   "$out/column-inserts.sql"
check custom         restore_archive "$out/custom.dump"
check custom-z0      restore_archive "$out/custom-z0.dump"
check directory      restore_archive "$out/directory"

exit "$fail"
