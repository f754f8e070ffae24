#!/usr/bin/env bash
# Peak memory (RSS) of a dry run and of a sandbox run with near-instant calls, on lists of
# 100,000 and 1,000,000 rows. Needs GNU time (Debian package "time"). The million-row sandbox
# run places a million calls through the in-process fake and takes about ten minutes.
#
#   scripts/bench-memory.sh            # both sizes
#   scripts/bench-memory.sh 100000     # one size
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bolna-campaign" ./cmd/bolna-campaign

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)

printf '%-10s %-8s %12s %10s\n' rows mode peak_rss_mb seconds
for n in "${sizes[@]}"; do
  list="$work/list-$n.csv"
  awk -v n="$n" 'BEGIN {
    print "phone,name,city,plan,notes"
    for (i = 0; i < n; i++) printf "+9198%08d,Name %d,City %d,gold,\"says \"\"hi\"\", ok\"\n", i, i, i % 100
  }' > "$list"
  for mode in dry-run sandbox; do
    rm -f "$work"/list-*.results.csv*
    if [ "$mode" = dry-run ]; then
      args=(run --dry-run --agent-id bench "$list")
    else
      args=(run --sandbox --rate 0 --poll-interval 20ms "$list")
    fi
    BOLNA_SANDBOX_TIME_SCALE=0.0001 BOLNA_SANDBOX_CONCURRENCY=50 \
      /usr/bin/time -f '%M %e' -o "$work/time" "$work/bolna-campaign" "${args[@]}" >/dev/null 2>"$work/log" || {
        code=$?; [ $code -eq 3 ] || { cat "$work/log" >&2; exit $code; }
      }
    read -r kb secs < "$work/time"
    printf '%-10s %-8s %12s %10s\n' "$n" "$mode" "$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')" "$secs"
  done
done
