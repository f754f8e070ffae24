#!/usr/bin/env bash
# The CPU the live status costs a run: a sandbox campaign at concurrency 500 run without
# --status-listen, and with it and /metrics scraped every second (and the page's status.json
# read every two seconds, as an open page does), alternately, REPEAT times each. It prints the
# process's CPU time (user + system, from GNU time) of every run and the medians; the scraper's
# own CPU (curl) is not the run's and is not counted. Each run has an account history of its
# own (XDG_STATE_HOME), so each dials every row. Needs GNU time (apt-get install time).
#
#   scripts/bench-metrics.sh [ROWS] [REPEAT]     # default 20000 rows, 3 runs of each
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
rows=${1:-20000}
repeat=${2:-3}
port=${BENCH_PORT:-19391}

work=$(mktemp -d)
scraper=""
trap '[ -n "$scraper" ] && kill "$scraper" 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/bolna-campaign" ./cmd/bolna-campaign
awk -v n="$rows" 'BEGIN { print "phone,name"; for (i = 0; i < n; i++) printf "+9198%08d,Name %d\n", i, i }' > "$work/list.csv"

# scrape reads /metrics every second and status.json every two until the run stops answering.
scrape() {
  local n=0 tries=0
  while [ $tries -lt 20 ] || [ $n -gt 0 ]; do # until the run, once seen, stops answering
    if curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; then
      n=$((n + 1))
      [ $((n % 2)) -eq 1 ] && curl -sf -o /dev/null "http://127.0.0.1:$port/status.json"
    elif [ $n -gt 0 ]; then
      break
    fi
    tries=$((tries + 1))
    sleep 1
  done
  echo "$n" > "$work/scrapes"
}

run() { # mode
  rm -rf "$work"/list.*results* "$work"/list.sandbox.* "$work/scrapes" "$work/state"
  local args=(run --sandbox --rate 0 --poll-interval 1s)
  if [ "$1" = scraped ]; then
    args+=(--status-listen "127.0.0.1:$port")
    scrape & scraper=$!
  fi
  XDG_STATE_HOME="$work/state" BOLNA_SANDBOX_CONCURRENCY=500 BOLNA_SANDBOX_TIME_SCALE=0.01 BOLNA_SANDBOX_SEED=7 \
    /usr/bin/time -f '%U %S %e' -o "$work/time" "$work/bolna-campaign" "${args[@]}" "$work/list.csv" >/dev/null 2>"$work/log" || {
      code=$?; [ $code -eq 3 ] || { cat "$work/log" >&2; exit $code; }
    }
  if [ -n "$scraper" ]; then wait "$scraper" || true; scraper=""; fi
  read -r user sys secs < "$work/time"
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%-8s %10s %10s %8s\n' "$1" "$cpu" "$secs" "$(cat "$work/scrapes" 2>/dev/null || echo -)"
  echo "$1 $cpu" >> "$work/results"
}

printf '%-8s %10s %10s %8s\n' mode cpu_s wall_s scrapes
for _ in $(seq "$repeat"); do
  run plain
  run scraped
done
median() { grep "^$1 " "$work/results" | awk '{ print $2 }' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
plain=$(median plain)
scraped=$(median scraped)
awk -v p="$plain" -v s="$scraped" 'BEGIN { printf "median CPU: %.2f s plain, %.2f s scraped every second: %+.1f%%\n", p, s, 100 * (s - p) / p }'
