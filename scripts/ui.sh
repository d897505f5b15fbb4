#!/usr/bin/env bash
# `make ui`: the Dagster webserver and daemon on loopback, and beside them a static server for the reports that the
# assets link to (alignment review pages, eval reports: metadata `review_url`, `report_url`).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# the data root's folder, or this machine's working copy of an object-store root (MMP_DATA_ROOT=s3://...)
mapfile -t where < <("$VENV/bin/python" -c "from multimodal_pipeline.settings import DataLayout as L; d = L.default()
print(d.root); print(d.inbox)")
DATA=${where[0]}
INBOX=${where[1]}
REPORTS_PORT=${MMP_REPORTS_PORT:-3001}
export MMP_REPORTS_URL=${MMP_REPORTS_URL:-http://127.0.0.1:$REPORTS_PORT}
mkdir -p "$DATA/artifacts"
"$VENV/bin/python" -m http.server "$REPORTS_PORT" --bind 127.0.0.1 --directory "$DATA/artifacts" >/dev/null 2>&1 &
reports=$!
trap 'kill $reports 2>/dev/null || true' EXIT
echo "reports: $MMP_REPORTS_URL (serving $DATA/artifacts)"
echo "inbox: drop URI lists into $INBOX"
"$VENV/bin/dagster" dev -w workspace.yaml -h 127.0.0.1 -p "${DAGSTER_PORT:-3000}"
