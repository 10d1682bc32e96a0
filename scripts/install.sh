#!/usr/bin/env bash
# Creates .venv (if missing) and installs deptbot into it ("." or ".[dev]"; default ".").
# deptbot is installed in editable mode, so a change of its code needs no reinstall: only a change of
# pyproject.toml does. The install is skipped when .venv already holds this pyproject.toml's install (with the same
# extras; ".[dev]" includes "."), so a second start needs no package registry (city networks are often offline)
# and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
spec=${1:-.}
stamp=.venv/.deptbot-installed
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1) $spec"
if [ -x .venv/bin/python ] && [ -f "$stamp" ]; then
  if grep -qxF "$wanted" "$stamp" || { [ "$spec" = "." ] && grep -q "^${wanted% *} " "$stamp"; }; then
    exit 0
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e "$spec"
# Installs of an older pyproject.toml no longer count.
{ grep -F "${wanted% *} " "$stamp" 2>/dev/null || true; echo "$wanted"; } | sort -u > "$stamp.new"
mv "$stamp.new" "$stamp"
