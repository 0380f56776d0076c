#!/usr/bin/env bash
# Idempotent set-up of a development/CI machine for mlops_jupyter.
#
#   bash scripts/setup.sh
#
# 1. .venv (python3 -m venv) with `pip install -e ".[test]"`, which also runs `jlpm install`
#    and the development build of labextension/ (hatch-jupyter-builder); then
#    `jupyter labextension develop` so later `jlpm build`s are served without reinstalling.
# 2. The `python3` kernel inside the venv (papermill and the integration tests use it).
# 3. Debian's Chromium for the browser tests (Playwright cannot download its own here).
# 4. PostgreSQL on 127.0.0.1:5432 running, with a database `test`.
# 5. scikit-learn's example gallery + licence from the installed version's source distribution,
#    in test-output/sklearn-examples/<version>/ (git-ignored) for the corpus test
#    (scripts/fetch_sklearn_examples.sh). Skipped when present; a failure here is only a
#    warning: set-up succeeds and tests/tracking/test_corpus.py fails, saying how to fetch them.
#
# A re-run skips the pip install when pyproject.toml, labextension/package.json and
# labextension/yarn.lock are unchanged since the last successful one (stamp in .venv);
# the frontend is still rebuilt when labextension/src or style changed.
# Environment: SETUP_FORCE=1 reinstalls; SETUP_SKIP_BROWSER=1 / SETUP_SKIP_POSTGRES=1 skip 3 / 4.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
LOG_DIR="$REPO/test-output/logs"
mkdir -p "$LOG_DIR"

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
fail() {
  printf 'setup.sh: FAILED: %s\n' "$1" >&2
  if [[ -n "${2:-}" && -f "$2" ]]; then
    printf -- '---- last lines of %s ----\n' "$2" >&2
    tail -n 60 "$2" >&2
  fi
  exit 1
}
# run LOGNAME CMD...: run quietly into test-output/logs/LOGNAME.log, show its tail on failure
run() {
  local log="$LOG_DIR/$1.log"
  shift
  if ! "$@" >"$log" 2>&1; then
    fail "$* (log: ${log#"$REPO"/})" "$log"
  fi
}
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

SETUP_START=$SECONDS

# ---------------------------------------------------------------------------------------------
step "Python virtual environment (.venv)"
if [[ ! -x .venv/bin/python ]]; then
  run venv python3 -m venv .venv
  note "created .venv with $(.venv/bin/python --version)"
else
  note "exists: $(.venv/bin/python --version)"
fi
export VIRTUAL_ENV="$REPO/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# ---------------------------------------------------------------------------------------------
step "Python package: pip install -e \".[test]\" (builds the JupyterLab extension)"
STAMP="$VIRTUAL_ENV/.mlops-jupyter-setup"
want_stamp="$(cat pyproject.toml labextension/package.json labextension/yarn.lock | sha256sum | cut -c1-64)"
have_stamp="$(cat "$STAMP" 2>/dev/null || true)"
installed_here() {
  # the editable install must point at *this* checkout
  python - "$REPO" <<'PY' 2>/dev/null
import pathlib, sys
import mlops_jupyter
sys.exit(0 if pathlib.Path(mlops_jupyter.__file__).resolve().is_relative_to(pathlib.Path(sys.argv[1]).resolve()) else 1)
PY
}
if [[ "${SETUP_FORCE:-0}" != 1 && "$want_stamp" == "$have_stamp" ]] && installed_here; then
  note "up to date (pyproject.toml, package.json and yarn.lock unchanged); skipping pip"
  # hatch-jupyter-builder only rebuilds on `pip install -e`; do it here when sources changed
  if [[ -z "$(find mlops_jupyter/labextension/package.json -newer labextension/package.json 2>/dev/null)" ]] ||
     [[ -n "$(find labextension/src labextension/style -newer mlops_jupyter/labextension/package.json -type f 2>/dev/null | head -n 1)" ]]; then
    t=$SECONDS
    run frontend-build bash -c 'cd labextension && jlpm install && jlpm install:extension'
    note "frontend rebuilt in $(elapsed $t)"
  else
    note "frontend build is newer than labextension/src"
  fi
else
  t=$SECONDS
  run pip-upgrade python -m pip install --upgrade pip
  run pip-install python -m pip install -e ".[test]"
  note "installed in $(elapsed $t) (log: test-output/logs/pip-install.log)"
  printf '%s\n' "$want_stamp" >"$STAMP"
fi
[[ -f mlops_jupyter/labextension/static/style.js ]] ||
  fail "the frontend build did not produce mlops_jupyter/labextension/static/style.js"

# serve the build output through a symlink, so a later `jlpm build` needs no reinstall
LINK="$VIRTUAL_ENV/share/jupyter/labextensions/mlops-jupyter"
if [[ "$(readlink -f "$LINK" 2>/dev/null)" != "$(readlink -f mlops_jupyter/labextension)" ]]; then
  run labextension-develop jupyter labextension develop --overwrite .
fi
strip_colors() { sed 's/\x1b\[[0-9;]*m//g'; }
lab_list="$(jupyter labextension list 2>&1 | strip_colors)"
grep -Eq 'mlops-jupyter v[^ ]+ enabled.*OK' <<<"$lab_list" ||
  { printf '%s\n' "$lab_list" >&2; fail "jupyter labextension list does not show mlops-jupyter enabled OK"; }
server_list="$(jupyter server extension list 2>&1 | strip_colors)"
grep -Eq 'mlops_jupyter .*enabled' <<<"$server_list" && grep -Eq 'mlops_jupyter .*OK' <<<"$server_list" ||
  { printf '%s\n' "$server_list" >&2; fail "jupyter server extension list does not show mlops_jupyter enabled OK"; }
note "labextension mlops-jupyter and server extension mlops_jupyter: enabled, OK"

# ---------------------------------------------------------------------------------------------
step "Jupyter kernel python3 (inside .venv)"
# cheap and idempotent: rewrites kernel.json so argv[0] is this venv's python
run kernel python -m ipykernel install --sys-prefix --name python3
note "$(python -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["argv"][:3]))' "$VIRTUAL_ENV/share/jupyter/kernels/python3/kernel.json")"

# ---------------------------------------------------------------------------------------------
step "Chromium (Debian) for the browser tests"
if [[ "${SETUP_SKIP_BROWSER:-0}" == 1 ]]; then
  note "skipped (SETUP_SKIP_BROWSER=1)"
elif [[ -x /usr/bin/chromium ]]; then
  note "present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
else
  t=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  run apt-update apt-get update
  run apt-chromium apt-get install -y --no-install-recommends chromium
  note "installed $(/usr/bin/chromium --version 2>/dev/null) in $(elapsed $t)"
fi

# ---------------------------------------------------------------------------------------------
step "PostgreSQL on 127.0.0.1:5432 with database test"
if [[ "${SETUP_SKIP_POSTGRES:-0}" == 1 ]]; then
  note "skipped (SETUP_SKIP_POSTGRES=1)"
elif ! command -v pg_isready >/dev/null; then
  fail "PostgreSQL client tools are missing (pg_isready); install Debian's postgresql"
else
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    note "not answering; starting the cluster"
    # shellcheck disable=SC2046
    run postgres-start pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    for _ in $(seq 1 30); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 1
    done
    pg_isready -q -h 127.0.0.1 -p 5432 || fail "PostgreSQL did not start answering on 127.0.0.1:5432"
  fi
  if [[ "$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'")" != 1 ]]; then
    run createdb createdb -h 127.0.0.1 -U postgres test
    note "created database test"
  fi
  note "ready: $(pg_isready -h 127.0.0.1 -p 5432)"
fi

# ---------------------------------------------------------------------------------------------
step "scikit-learn examples for the corpus test (test-output/sklearn-examples/)"
if bash scripts/fetch_sklearn_examples.sh python >"$LOG_DIR/sklearn-examples.log" 2>&1; then
  note "$(tail -n 1 "$LOG_DIR/sklearn-examples.log")"
else
  note "WARNING: could not fetch them (log: test-output/logs/sklearn-examples.log);"
  note "tests/tracking/test_corpus.py will fail until \`bash scripts/fetch_sklearn_examples.sh\` works"
fi

step "Set-up done in $(elapsed $SETUP_START)"
