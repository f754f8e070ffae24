#!/usr/bin/env bash
# Renders the HTML report of a results file in headless Chromium and saves a screenshot, to
# check the page by eye (Debian: apt-get install chromium).
#
#   scripts/screenshot-report.sh [RESULTS.csv] [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-samples/example-results.csv}
out=${2:-report.png}
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./cmd/bolna-campaign report --html "$work/report.html" "$results" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --window-size=1100,1800 \
  --screenshot="$(realpath -m "$out")" "file://$work/report.html" 2>/dev/null
echo "screenshot: $out"
