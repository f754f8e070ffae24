#!/usr/bin/env bash
# Runs samples/campaign-job.yaml's command for each completion index, the four shards at once,
# against a stand-in Bolna on loopback, as the Kubernetes Job would run its pods; checks that
# every contact is dialled once and every pod exits 0 (TestCampaignJobLocally, which CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./cmd/bolna-campaign -run '^(TestCampaignJobLocally|TestDeploymentSamples)$' -count=1 -v
