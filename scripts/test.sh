#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run execs this):
#
#   bash scripts/test.sh [PYTEST ARGS...]      e.g.  bash scripts/test.sh -m "not browser" -x
#
# set-up (scripts/setup.sh) -> ruff check -> ruff format --check -> mypy -> lint-imports
#   -> labextension: jlpm lint:check, jlpm test (jest), jlpm api:check -> pytest tests/
# Stops at the first failing step and names it. pytest's "no tests collected" (exit 5) counts
# as a failure: a suite that silently ran nothing must not pass.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

TOTAL_START=$SECONDS
STEP_NAME=""
STEP_START=0

begin() {
  STEP_NAME="$1"
  STEP_START=$SECONDS
  printf '\n==> [test.sh] %s\n' "$STEP_NAME"
}
passed() { printf -- '--> %s: ok (%ss)\n' "$STEP_NAME" "$((SECONDS - STEP_START))"; }
failed() {
  printf '\n!!! [test.sh] FAILED step: %s (exit %s, after %ss)\n' \
    "$STEP_NAME" "$1" "$((SECONDS - STEP_START))" >&2
  exit "$1"
}
# step NAME CMD...: run CMD as step NAME, stop the script if it fails
step() {
  begin "$1"
  shift
  local rc=0
  "$@" || rc=$?
  ((rc == 0)) || failed "$rc"
  passed
}

step "set-up (scripts/setup.sh)" bash scripts/setup.sh
export VIRTUAL_ENV="$REPO/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"

# Python sources to lint: only the folders that exist in this checkout
PY_DIRS=()
for d in mlops_jupyter tests benchmarks; do
  [[ -d "$d" ]] && PY_DIRS+=("$d")
done

step "ruff check ${PY_DIRS[*]}" ruff check --no-cache "${PY_DIRS[@]}"
step "ruff format --check ${PY_DIRS[*]}" ruff format --check --no-cache "${PY_DIRS[@]}"
step "mypy (config in pyproject.toml)" mypy
step "lint-imports (one-way layers, contracts in pyproject.toml)" lint-imports
step "mlops_jupyter/__init__.pyi matches _EXPORTS" python scripts/package_stub.py --check
step "labextension: jlpm lint:check" bash -c 'cd labextension && jlpm lint:check'
step "labextension: jlpm test (jest)" bash -c 'cd labextension && jlpm test --ci'
# the TypeScript API types are generated from the server's OpenAPI document (itself generated
# from server/models.py + server/routes.py): the committed file must be what the server makes
step "labextension: jlpm api:check (generated API types up to date)" \
  bash -c 'cd labextension && jlpm api:check'

begin "pytest tests/ $*"
rc=0
python -m pytest -p no:cacheprovider -q "$@" || rc=$?
if ((rc == 5)); then
  printf '!!! pytest collected no tests: that is a failure here (check the selection: %s)\n' "$*" >&2
fi
((rc == 0)) || failed "$rc"
passed

printf '\n==> [test.sh] all steps passed in %ss\n' "$((SECONDS - TOTAL_START))"
