#!/usr/bin/env bash
# Installs deptbot with its development tools, then lints, type-checks and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh ".[dev]"
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
# The index and answer suites once more with the vectors on a real Chroma server (`chroma run`, started by them).
TEST_CHROMA_SERVER=1 .venv/bin/python -m pytest -q -n 2 --dist loadfile tests/connectors/test_index.py \
    tests/connectors/test_ingest.py tests/connectors/test_library.py tests/bots/test_answer.py
