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
# A file a lead uploaded that cannot be read is reported (and listed as failed in the builder); it must not keep
# the server from starting.
.venv/bin/deptbot reindex --all "$documents" || echo "일부 파일을 색인하지 못했습니다 (위 오류 참고). 서버는 그대로 시작합니다." >&2
.venv/bin/deptbot seed demo
.venv/bin/deptbot ask "여권 재발급 처리기한은 며칠인가요?"
exec .venv/bin/deptbot serve --host 127.0.0.1 --port "${DEPTBOT_PORT:-7860}"
