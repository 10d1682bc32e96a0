#!/usr/bin/env bash
# Installs deptbot, indexes the sample manuals into ./data and asks one question on them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh .
export DEPTBOT_DATA_DIR=${DEPTBOT_DATA_DIR:-$PWD/data}
.venv/bin/deptbot reindex --all sample_manuals
.venv/bin/deptbot ask "여권 재발급 처리기한은 며칠인가요?"
