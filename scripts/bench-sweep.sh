#!/usr/bin/env bash
# bench-sweep.sh: saifu's throughput against client count, on SQLite and
# PostgreSQL, with pgbench's tpcb-like workload beside the ledger, each
# run on a new database (as a new deployment meets it), then the plot.
#
#   scripts/bench-sweep.sh [CSV] [SVG]
#
# CSV (default docs/bench-sweep.csv) gets one row per run: when, what,
# database, clients, per-second rate, p99 in ms (where the bench gives
# one) and the load average before the run; its header comment records
# the machine's fsync rate (pg_test_fsync). SVG (default
# docs/bench-sweep.svg) is drawn from it by tools/benchplot.
#
# Environment: CLIENTS (default "1 4 16 64"), DURATION (default 10s),
# USERS (pay bench, default 200), PGBIN (default: the newest
# /usr/lib/postgresql/*/bin). PostgreSQL runs in a throwaway cluster on a
# loopback port, as the current user (or postgres when run as root).
# Run it on a quiet machine: other work running halves the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

csv=${1:-docs/bench-sweep.csv}
svg=${2:-docs/bench-sweep.svg}
clients=${CLIENTS:-1 4 16 64}
duration=${DURATION:-10s}
users=${USERS:-200}
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
work=$(mktemp -d /tmp/saifu-sweep.XXXXXX)
port=54399
chmod 755 "$work"

runas=()
if [ "$(id -u)" -eq 0 ]; then runas=(runuser -u postgres --); chown postgres "$work"; fi
pg() { "${runas[@]}" "$pgbin/$1" "${@:2}"; }

cleanup() {
  pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "--- building saifu"
go build -o "$work/saifu" ./cmd/saifu
export PATH="$pgbin:$PATH"

echo "--- fsync rate"
fsync=$(cd "$work" && pg pg_test_fsync -s 2 -f "$work/fsync.test" | awk '/^ *fdatasync/ {print $2; exit}')
echo "fdatasync of one 8 kB write: $fsync/s"

echo "--- a throwaway PostgreSQL on 127.0.0.1:$port"
pg initdb -D "$work/pg" -U postgres --auth=trust >/dev/null
pg pg_ctl -D "$work/pg" -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" -l "$work/pg.log" -w start >/dev/null
dsn() { echo "postgres://postgres@127.0.0.1:$port/$1?sslmode=disable"; }

{
  echo "# saifu bench sweep $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; fdatasync of one 8 kB write: $fsync/s; $duration per run"
  echo "when,what,db,clients,rate,p99_ms,load"
} >"$csv"

load() { cut -d' ' -f1 /proc/loadavg; }
row() { echo "$(date -u +%H:%M:%S),$1,$2,$3,$4,$5,$6" >>"$csv"; echo "  $1 $2 $3 clients: $4/s p99 $5 ms (load $6)"; }
n=0
for c in $clients; do
  n=$((n + 1))
  # The ledger: SQLite, then PostgreSQL with pgbench in the same run.
  l=$(load)
  out=$("$work/saifu" bench ledger --clients "$c" --duration "$duration" --data-dir "$work/sl$n" 2>/dev/null)
  row ledger sqlite "$c" "$(sed -n 's/.*= \([0-9]*\) transfers\/s.*/\1/p' <<<"$out")" "$(sed -n 's/^latency: .*p99 \([0-9.]*\)ms.*/\1/p' <<<"$out")" "$l"
  pg createdb -h 127.0.0.1 -p "$port" -U postgres "ledger$n"
  l=$(load)
  out=$("$work/saifu" bench ledger --clients "$c" --duration "$duration" --db "$(dsn "ledger$n")" --vs-pgbench 2>/dev/null)
  row ledger postgres "$c" "$(sed -n 's/.*= \([0-9]*\) transfers\/s.*/\1/p' <<<"$out")" "$(sed -n 's/^latency: .*p99 \([0-9.]*\)ms.*/\1/p' <<<"$out")" "$l"
  row pgbench postgres "$c" "$(sed -n 's/^pgbench tpcb-like: \([0-9]*\) tps.*/\1/p' <<<"$out")" "" "$l"
  # Payments (the customer-presented code, as shipped: risk on).
  l=$(load)
  out=$("$work/saifu" bench pay --clients "$c" --duration "$duration" --users "$users" --data-dir "$work/sp$n" 2>/dev/null)
  row pay sqlite "$c" "$(sed -n 's/.*= \([0-9]*\) payments\/s.*/\1/p' <<<"$out")" "$(sed -n 's/^payment (code + charge): .*p99 \([0-9.]*\)ms.*/\1/p' <<<"$out")" "$l"
  pg createdb -h 127.0.0.1 -p "$port" -U postgres "pay$n"
  l=$(load)
  out=$("$work/saifu" bench pay --clients "$c" --duration "$duration" --users "$users" --db "$(dsn "pay$n")" --data-dir "$work/pp$n" 2>/dev/null)
  row pay postgres "$c" "$(sed -n 's/.*= \([0-9]*\) payments\/s.*/\1/p' <<<"$out")" "$(sed -n 's/^payment (code + charge): .*p99 \([0-9.]*\)ms.*/\1/p' <<<"$out")" "$l"
done

echo "--- plot"
go run ./tools/benchplot -in "$csv" -out "$svg"
echo "wrote $csv and $svg"
