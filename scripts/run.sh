#!/usr/bin/env bash
# Installs deptbot and runs it on the sample manuals: the four sample departments' documents are copied into the
# data folder once (uploads from the builder land there too), indexed, registered with two demo bots, then the
# web app is served on 127.0.0.1 (port DEPTBOT_PORT, 7860 by default). On the first start the server prints a
# one-time link for making the first administrator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh .
export DEPTBOT_DATA_DIR=${DEPTBOT_DATA_DIR:-$PWD/data}
documents="$DEPTBOT_DATA_DIR/documents"
if [ ! -d "$documents" ]; then
    mkdir -p "$DEPTBOT_DATA_DIR"
    cp -r sample_manuals "$documents"
fi
.venv/bin/deptbot reindex --all "$documents"
.venv/bin/deptbot seed demo
.venv/bin/deptbot ask "여권 재발급 처리기한은 며칠인가요?"
exec .venv/bin/deptbot serve --host 127.0.0.1 --port "${DEPTBOT_PORT:-7860}"
