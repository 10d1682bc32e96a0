#!/usr/bin/env bash
# Installs deptbot and runs it on the sample manuals: the four sample departments' documents are copied into the
# data folder once (uploads from the builder land there too), indexed, registered with two demo bots, then the
# web app is served on 127.0.0.1 (port DEPTBOT_PORT, 7860 by default). On the first start the server prints a
# one-time link for making the first administrator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh .
bash scripts/ocr-tools.sh
# The data folder: DEPTBOT_DATA_DIR when set, else the one the settings file names (an earlier run wrote it), else
# ./data. The settings file (deptbot.env here, or DEPTBOT_SETTINGS_FILE) is then (re)written with it, so that any
# `deptbot` command run later from this folder, in another terminal without this variable, works on the same
# registry and indexes as this server; other settings a person wrote into the file are kept.
settings_file=${DEPTBOT_SETTINGS_FILE-deptbot.env}
if [ -z "${DEPTBOT_DATA_DIR:-}" ] && [ -n "$settings_file" ] && [ -f "$settings_file" ]; then
    DEPTBOT_DATA_DIR=$(.venv/bin/python -c 'import sys; from dotenv import dotenv_values
print(dotenv_values(sys.argv[1]).get("DEPTBOT_DATA_DIR") or "")' "$settings_file")
fi
DEPTBOT_DATA_DIR=$(realpath -m "${DEPTBOT_DATA_DIR:-$PWD/data}")
export DEPTBOT_DATA_DIR
if [ -n "$settings_file" ]; then
    touch "$settings_file" && chmod 600 "$settings_file"
    .venv/bin/python -c 'import sys; from dotenv import set_key
set_key(sys.argv[1], "DEPTBOT_DATA_DIR", sys.argv[2])' "$settings_file" "$DEPTBOT_DATA_DIR"
fi
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
