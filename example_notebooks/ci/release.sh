#!/usr/bin/env bash
# Release pipeline: train -> register -> approval -> gates -> bundle test -> promote -> smoke test.
#
#   MODEL_NAME=diabetes SERVER_URL=http://127.0.0.1:5000 APPROVER=release-bot \
#     bash example_notebooks/ci/release.sh
#
# Every decision is an exit code of the mlops-jupyter CLI (0 ok, 1 refused or failed, 2 bad
# input): `set -e` stops the pipeline at the first refusal, and a failed smoke test rolls the
# alias back. The only output read is the JSON ids of the new run and version.
#
# Environment:
#   MODEL_NAME        registered model to release (required)
#   ALIAS             alias to move (default: production)
#   SERVER_URL        a live `mlops-jupyter serve MODEL_NAME@ALIAS` to smoke-test (optional)
#   APPROVER          user who records the approval (CI's reviewer identity); without it the
#                     pipeline waits up to APPROVAL_TIMEOUT seconds for a person to approve
#   APPROVAL_TIMEOUT  seconds to wait for approval and gates (default: 3600)
#   GATE              policy gate to set before promoting, e.g. "r2 >= 0.3" (optional)
#   ALPHA, SEED       training notebook parameters (defaults: the notebook's)
#   MLOPS_JUPYTER_STORE, MLOPS_JUPYTER_USER   the store and the acting user (the registrant)
#   MJ                the CLI command (default: mlops-jupyter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MJ="${MJ:-mlops-jupyter}"
NAME="${MODEL_NAME:?set MODEL_NAME}"
ALIAS="${ALIAS:-production}"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
step() { printf '==> %s\n' "$*"; }
json_field() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0][sys.argv[2]])' "$@"; }

step "train: $HERE/train.ipynb through papermill"
PARAMS=()
[[ -n "${ALPHA:-}" ]] && PARAMS+=(-p alpha "$ALPHA")
[[ -n "${SEED:-}" ]] && PARAMS+=(-p seed "$SEED")
$MJ run "$HERE/train.ipynb" "${PARAMS[@]}" --strict --output "$WORK/train.ipynb" \
  --format json >"$WORK/run.json"
[[ "$(json_field "$WORK/run.json" status)" == finished ]] || {
  echo "release: the training notebook did not finish" >&2
  exit 1
}
RUN_ID="$(json_field "$WORK/run.json" run_id)"

step "register: run $RUN_ID as a new version of $NAME"
$MJ models register "$RUN_ID" "$NAME" --description "release pipeline candidate" \
  --format json >"$WORK/version.json"
"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' \
  "$WORK/version.json" >"$WORK/version"
VERSION="$(cat "$WORK/version")"
echo "candidate: $NAME version $VERSION"

if [[ -n "${GATE:-}" ]]; then
  step "policy: gate '$GATE'"
  $MJ models policy "$NAME" --gate "$GATE" >/dev/null
fi

step "approval"
$MJ models request-approval "$NAME" "$VERSION" >/dev/null
if [[ -n "${APPROVER:-}" ]]; then
  MLOPS_JUPYTER_USER="$APPROVER" $MJ models approve "$NAME" "$VERSION" \
    --comment "release pipeline: approved by $APPROVER" >/dev/null
fi

step "gates: approval and every gate of @$ALIAS"
deadline=$((SECONDS + ${APPROVAL_TIMEOUT:-3600}))
until $MJ models promote "$NAME" "$VERSION" --alias "$ALIAS" --check; do
  if ((SECONDS >= deadline)); then
    echo "release: $NAME version $VERSION was not approved or fails a gate" >&2
    exit 1
  fi
  [[ -n "${APPROVER:-}" ]] && exit 1 # approval recorded above: a refusal here is a gate
  sleep 10
done

step "bundle: export and test it in a fresh process"
$MJ models export "$NAME/$VERSION" "$WORK/bundle" >/dev/null
$MJ models test "$WORK/bundle"

step "promote: $NAME version $VERSION -> @$ALIAS"
$MJ models promote "$NAME" "$VERSION" --alias "$ALIAS"

if [[ -n "${SERVER_URL:-}" ]]; then
  step "smoke test: $SERVER_URL serves version $VERSION"
  if ! $MJ serve check "$SERVER_URL" --version "$VERSION" --timeout "${SMOKE_TIMEOUT:-60}"; then
    echo "release: smoke test failed; rolling @$ALIAS back" >&2
    $MJ models rollback "$NAME" --alias "$ALIAS" --reason "smoke test failed" || true
    exit 1
  fi
fi
step "released $NAME version $VERSION as @$ALIAS"
