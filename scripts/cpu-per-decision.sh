#!/usr/bin/env bash
# cpu-per-decision.sh: CPU spent per decision by a ticketblitz server and by its
# PostgreSQL backends under one blitzload load, on a fresh database.
#
#   scripts/cpu-per-decision.sh SERVER_BIN BLITZLOAD_BIN STRATEGY hot|steady [RATE]
#
# hot: 1,000 callers loop hold/release on one 2,000-seat section for 15 s.
# steady: RATE hold arrivals/s (default 1000) over 20 sections for 12 s, each hold
# then confirmed or released, 1,000 workers.
# It reads utime+stime from /proc for the server process over the run and for every
# PostgreSQL backend of the run's database (their whole life: they serve only it),
# and prints both per decision, with the decisions/s the load measured, the holds' p50
# and p99, and the server's heap allocations per decision (from its pprof endpoint, on
# the port after the HTTP one).
set -euo pipefail
bin=$1 load=$2 strategy=$3 scenario=$4 rate=${5:-1000}
port=${PORT:-18190}
pport=$((port + 1))
db=tb_cpu_${strategy}_$$
pg="postgres://postgres@127.0.0.1:5432"
ticks() { local t=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
TICKETBLITZ_POSTGRES_URL="$pg/$db?sslmode=disable" TICKETBLITZ_STRATEGY=$strategy \
TICKETBLITZ_RATE_LIMIT=1000000/s TICKETBLITZ_SEED_DEMO=false TICKETBLITZ_LOG_LEVEL=warn \
TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0 TICKETBLITZ_KAFKA_BROKERS= TICKETBLITZ_PPROF_ADDR=127.0.0.1:$pport \
  "$bin" serve --http-addr 127.0.0.1:$port >/tmp/cpu-per-decision-$db.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; psql -q "$pg/postgres" -c "drop database if exists $db" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 120); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.5; done
mallocs() { curl -s "http://127.0.0.1:$pport/debug/pprof/allocs?debug=1" | awk '/^# Mallocs = /{print $4}'; }
m0=$(mallocs)
s0=$(ticks $srv)
out=$(mktemp)
if [ "$scenario" = hot ]; then
  "$load" hot --target http://127.0.0.1:$port --callers 1000 --duration 15s --no-audit >"$out" 2>&1
else
  "$load" steady --target http://127.0.0.1:$port --rate "$rate" --duration 12s --sections 20 --seats 2100 \
    --workers 1000 --users 2000 --max-late 1s --no-audit >"$out" 2>&1
fi
s1=$(ticks $srv)
m1=$(mallocs)
p=$(ticks $(psql -At "$pg/postgres" -c "select pid from pg_stat_activity where datname='$db'"))
dec=$(grep -o '[0-9]* decisions (' "$out" | head -1 | cut -d' ' -f1)
rate_seen=$(grep -o 'decisions ([0-9.]*/s)' "$out" | head -1)
lat=$(awk '$1 == "POST" && $2 == "/holds" {print "hold p50 " $5 " ms, p99 " $7 " ms"}' "$out")
awk -v s=$((s1 - s0)) -v p=$p -v d=$dec -v st=$strategy -v sc=$scenario -v r="$rate_seen" -v l="$lat" -v a=$((m1 - m0)) 'BEGIN {
  printf "%s %s: %d %s, %s; server %.3f cpu-ms/decision, postgres %.3f cpu-ms/decision, %.0f allocs/decision\n", st, sc, d, r, l, 10*s/d, 10*p/d, a/d }'
rm -f "$out"
