#!/usr/bin/env bash
# Regenerate the MySQL/MariaDB dump fixtures in fixtures/mysql/ from a real,
# local MariaDB server.
#
#   scripts/make-fixtures-mysql.sh
#
# Needs: a running MariaDB server reachable with the `mariadb` and
# `mariadb-dump` clients as a user who may create databases (by default root
# over the unix socket, no password). Extra client options (e.g. --socket,
# --user) can be passed in MYSQL_OPTS, e.g. MYSQL_OPTS="--socket=/tmp/m.sock".
#
# What it does:
#   1. drops and recreates the database `dumpmask_fixture` (override with
#      FIXTURE_DB), and loads fixtures/mysql/schema.sql into it;
#   2. dumps it with mariadb-dump, once per variant, into fixtures/mysql/;
#   3. restores every dump into a scratch database and checks the row counts
#      and CHECKSUM TABLE of every table against the source, then drops the
#      scratch database.
#
# Not generated here: fixtures/mysql/classic-extended.sql (hand-made, in the
# style of Oracle's mysqldump; step 3 checks that it restores too) and
# fixtures/mysql/rules.toml.
#
# Stability: the output contains no date (--skip-dump-date), TIMESTAMP values
# are dumped in UTC (--tz-utc, the default), schema.sql pins sql_mode,
# time_zone and character set for the routines, and the event has a fixed
# STARTS. What still depends on the environment and is left untouched (no
# post-processing at all is applied to mariadb-dump's output):
#   - the header lines "-- MariaDB dump 10.19  Distrib <version>, for <os>
#     (<arch>)", "-- Host: localhost    Database: dumpmask_fixture" and
#     "-- Server version	<version>": they change only with the client or
#     server version (or if connecting through TCP to another host); the
#     first line "/*M!999999\- enable the sandbox mode */ " is written only by
#     recent clients (10.11.8 and later, and the matching releases of the
#     other series), older ones start with the "-- MariaDB dump" line;
#   - DEFINER=`root`@`localhost` on views, triggers, routines and events:
#     the user who ran this script.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$root/fixtures/mysql"
db="${FIXTURE_DB:-dumpmask_fixture}"
scratch="${db}_restore_check"
# shellcheck disable=SC2206
opts=(${MYSQL_OPTS:-})

mysql() { command mariadb "${opts[@]}" --default-character-set=utf8mb4 "$@"; }

# Base options for every variant. --skip-dump-date drops the trailing
# "-- Dump completed on <date>" line; --routines/--events/--triggers put the
# DELIMITER ;; blocks in the dump.
base=(--skip-dump-date --routines --events --triggers --default-character-set=utf8mb4)

# variant file name (without .sql) -> extra mariadb-dump options
variants=(
  "default:"
  "complete-insert:--complete-insert"
  "skip-extended-insert:--skip-extended-insert"
  "hex-blob:--hex-blob"
  "compact:--compact"
  "insert-ignore:--insert-ignore"
  "replace:--replace"
)

tables=(customers orders 'we`ird' sessions audit_log empty_table)

count_rows() { # db -> "table<TAB>rows<TAB>checksum" lines
  local d="$1" t q
  for t in "${tables[@]}"; do
    q="\`${t//\`/\`\`}\`"
    printf '%s\t%s\t%s\n' "$t" \
      "$(mysql -N -B "$d" -e "SELECT COUNT(*) FROM $q")" \
      "$(mysql -N -B "$d" -e "CHECKSUM TABLE $q EXTENDED" | cut -f2)"
  done
}

echo "== loading $out/schema.sql into \`$db\`"
mysql -e "DROP DATABASE IF EXISTS \`$db\`;
          CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
# --comments: keep "-- ..." comment lines inside routine bodies (the client
# strips comments by default, which would drop them from the procedure).
mysql --comments "$db" < "$out/schema.sql"
source_counts="$(count_rows "$db")"
echo "$source_counts"

for v in "${variants[@]}"; do
  name="${v%%:*}"
  extra="${v#*:}"
  file="$out/$name.sql"
  # shellcheck disable=SC2086
  command mariadb-dump "${opts[@]}" "${base[@]}" $extra "$db" > "$file.tmp"
  mv "$file.tmp" "$file"
  echo "== wrote $file (${extra:-no extra options})"
done

# Every dump (and the hand-made one, if present) must restore cleanly and
# give the same rows (count and CHECKSUM TABLE) as the source.
check=()
for v in "${variants[@]}"; do check+=("$out/${v%%:*}.sql"); done
[[ -f "$out/classic-extended.sql" ]] && check+=("$out/classic-extended.sql")
status=0
for file in "${check[@]}"; do
  mysql -e "DROP DATABASE IF EXISTS \`$scratch\`;
            CREATE DATABASE \`$scratch\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  restore_opts=()
  if [[ "$(basename "$file")" == compact.sql ]]; then
    # --compact omits the header that sets SQL_MODE='NO_AUTO_VALUE_ON_ZERO',
    # TIME_ZONE='+00:00', FOREIGN_KEY_CHECKS=0 and UNIQUE_CHECKS=0. Without
    # it, a strict sql_mode rejects the values the dump writes for the
    # generated columns of `customers` (ERROR 1906), so restore it with the
    # session settings the header would have set.
    restore_opts=(--init-command="SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO', time_zone='+00:00', foreign_key_checks=0, unique_checks=0")
  fi
  mysql "${restore_opts[@]}" "$scratch" < "$file"
  got="$(count_rows "$scratch")"
  if [[ "$got" == "$source_counts" ]]; then
    echo "== restore OK: $(basename "$file")"
  else
    echo "== restore MISMATCH: $(basename "$file")" >&2
    diff <(echo "$source_counts") <(echo "$got") >&2 || true
    status=1
  fi
done
mysql -e "DROP DATABASE IF EXISTS \`$scratch\`;"
exit "$status"
