#!/usr/bin/env bash
# flash-cpu.sh SERVER_BIN LOAD_BIN OUTDIR [profile]
#
# One 10,000-fan flash rush (2,000 seats) against a fresh server on a fresh database,
# actor strategy. Prints decisions/s, hold p50/p99, the server's CPU over the rush
# (utime+stime from /proc, between the last /metrics sample before the API saw its
# first requests and the first sample that saw them all) and over the whole command
# (10,000 connections and their warm-up included), per 1,000 decisions, and heap
# allocations per decision (pprof's MemStats), and the server's peak resident memory
# (VmHWM). GOGC and GOMEMLIMIT, when set, reach the server. With "profile" it also saves a CPU
# profile and allocation profiles in OUTDIR (allocs-before.pprof when the server is ready,
# allocs.pprof after the load: `go tool pprof -diff_base allocs-before.pprof allocs.pprof`
# shows the load's own allocations without the server's start-up): the CPU profile starts PROFILE_START seconds
# into the command (default 3) and lasts PROFILE_SECONDS (default 12). PROFILE_START=rush
# starts it at the first /metrics sample that counts an API request (the load client's
# setup), so that a short window covers the fans' connecting and the rush rather than the
# idle server after it (a rush here lasts about 2 s: PROFILE_START=rush PROFILE_SECONDS=3).
set -uo pipefail
bin=$1 load=$2 out=$3 prof=${4:-}
port=${PORT:-18290}; pport=$((port+1))
db=tb_cpuflash_$$
pg="postgres://postgres@127.0.0.1:5432"
mkdir -p $out
ticks() { local t=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
mallocs() { curl -s "http://127.0.0.1:$pport/debug/pprof/allocs?debug=1" | awk '/^# Mallocs = /{print $4}'; }
ulimit -n 20000
TICKETBLITZ_POSTGRES_URL="$pg/$db?sslmode=disable" TICKETBLITZ_STRATEGY=actor \
TICKETBLITZ_RATE_LIMIT=100000000/min TICKETBLITZ_SEED_DEMO=false TICKETBLITZ_LOG_LEVEL=warn \
TICKETBLITZ_CLUSTER_BIND=127.0.0.1:0 TICKETBLITZ_PPROF_ADDR=127.0.0.1:$pport \
  "$bin" serve --http-addr 127.0.0.1:$port >$out/server.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; psql -q "$pg/postgres" -c "drop database if exists $db" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 120); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && break; sleep 0.5; done
m0=$(mallocs)
s0=$(ticks $srv)
pstart=${PROFILE_START:-3} psecs=${PROFILE_SECONDS:-12}
rm -f $out/samples.txt
if [ -n "$prof" ]; then
  curl -s -o $out/allocs-before.pprof "http://127.0.0.1:$pport/debug/pprof/allocs"
  if [ "$pstart" = rush ]; then
    # wait for the sampler's first line that counts an API request
    ( until awk '$3>=1 {f=1} END {exit !f}' $out/samples.txt 2>/dev/null; do sleep 0.05; done
      curl -s -o $out/cpu.pprof "http://127.0.0.1:$pport/debug/pprof/profile?seconds=$psecs" ) &
  else
    ( sleep $pstart; curl -s -o $out/cpu.pprof "http://127.0.0.1:$pport/debug/pprof/profile?seconds=$psecs" ) &
  fi
  cp=$!
fi
( while kill -0 $srv 2>/dev/null; do
    # a scrape that failed (timed out under load) is left out, not read as 0 requests
    if m=$(curl -sf --max-time 1 http://127.0.0.1:$port/metrics); then
      n=$(awk '/^ticketblitz_http_request_duration_seconds_count/ && /api\/v1/ {s+=$NF} END {print s+0}' <<<"$m")
      echo "$(date +%s.%N) $(ticks $srv) $n"
    fi
    sleep 0.2
  done ) > $out/samples.txt 2>/dev/null &
smp=$!
"$load" flash --target http://127.0.0.1:$port --fans 10000 --seats 2000 >$out/load.txt 2>&1
s1=$(ticks $srv)
m1=$(mallocs)
hwm=$(awk '/^VmHWM:/{printf "%.0f", $2/1024}' /proc/$srv/status 2>/dev/null)
kill $smp 2>/dev/null
[ -n "$prof" ] && { wait $cp; curl -s -o $out/allocs.pprof "http://127.0.0.1:$pport/debug/pprof/allocs"; }
dec=$(grep -o '[0-9]* decisions (' $out/load.txt | head -1 | cut -d' ' -f1)
rate=$(grep -o 'decisions ([0-9.]*/s)' $out/load.txt | head -1)
# the rush: from the last sample before any hold was answered to the first that saw them all
rush=$(awk '{t[NR]=$1; k[NR]=$2; n[NR]=$3} END {last=n[NR]; for(i=1;i<=NR;i++) if(n[i]<10) a=i; for(i=NR;i>=1;i--) if(n[i]==last) b=i; printf "%.2f %.2f", (k[b]-k[a])/100, t[b]-t[a]}' $out/samples.txt)
rushcpu=${rush% *}
echo "$(basename $out): dec=$dec $rate rushcpu=${rushcpu}s rushwall=${rush#* }s rush-cpu-s/1000dec=$(awk -v s=$rushcpu -v d=$dec 'BEGIN{printf "%.3f", 1000*s/d}') holdp50/p99=$(awk '/^POST \/holds /{print $5"/"$7}' $out/load.txt)ms servercpu=$(awk -v s=$((s1-s0)) 'BEGIN{printf "%.2f", s/100}')s cpu-s/1000dec=$(awk -v s=$((s1-s0)) -v d=$dec 'BEGIN{printf "%.3f", 10*s/d}') allocs/dec=$(awk -v a=$((m1-m0)) -v d=$dec 'BEGIN{printf "%.0f", a/d}') peakrss=${hwm}MiB" | tee $out/summary.txt
