#!/usr/bin/env bash
# Installs deptbot with its development tools, then lints, type-checks and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh ".[dev]"
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest -q -n 2 --dist loadfile "$@"
