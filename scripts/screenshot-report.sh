#!/usr/bin/env bash
# Renders the HTML report of a results file in headless Chromium and saves a screenshot, to
# check the page by eye (Debian: apt-get install chromium).
#
#   scripts/screenshot-report.sh [RESULTS.csv] [OUT.png] [WIDTH]
#
# WIDTH is the window's width in pixels (default 1100): 400 shows the page as a phone does.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-samples/example-results.csv}
out=${2:-report.png}
width=${3:-1100}
command -v chromium >/dev/null || { echo "needs chromium (apt-get install chromium)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go run ./cmd/bolna-campaign report --html "$work/report.html" "$results" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --window-size="$width",2600 \
  --screenshot="$(realpath -m "$out")" "file://$work/report.html" 2>/dev/null
echo "screenshot: $out"
