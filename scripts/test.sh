#!/usr/bin/env bash
# Run the test suite with the servers it needs; stop them afterwards, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "export $(bash scripts/services.sh start | tail -n 1)"
trap 'bash scripts/services.sh stop' EXIT
uv run --frozen pytest "$@"
