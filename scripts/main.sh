#!/usr/bin/env bash
# Set up, run the tutorial notebooks, then open JupyterLab on the same store.
#
#   bash scripts/main.sh [--no-lab] [JUPYTER LAB ARGS...]
#
# Every example_notebooks/*.ipynb runs in name order through papermill (with the `mlops`
# engine when it is installed, so each becomes a recorded notebook run) into
# example_notebooks/output/, on the embedded store: $MLOPS_JUPYTER_STORE, default .mlops/ at
# the repository root. Then a small sweep of 02_parameterised_sweep.ipynb runs, and
# `jupyter lab` starts with the remaining arguments; --no-lab stops before JupyterLab.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

START_LAB=1
LAB_ARGS=()
for arg in "$@"; do
  if [[ "$arg" == "--no-lab" ]]; then
    START_LAB=0
  else
    LAB_ARGS+=("$arg")
  fi
done

bash scripts/setup.sh
export VIRTUAL_ENV="$REPO/.venv"
export PATH="$VIRTUAL_ENV/bin:$PATH"
export MLOPS_JUPYTER_STORE="${MLOPS_JUPYTER_STORE:-$REPO/.mlops}"

printf '==> Example notebooks (store: %s)\n' "$MLOPS_JUPYTER_STORE"
shopt -s nullglob
notebooks=(example_notebooks/*.ipynb)
shopt -u nullglob
if ((${#notebooks[@]} == 0)); then
  printf '    no notebooks in example_notebooks/ yet\n'
else
  mkdir -p example_notebooks/output
  ENGINE_ARGS=()
  if python -c 'from papermill.engines import papermill_engines as e; e.get_engine("mlops")' 2>/dev/null; then
    ENGINE_ARGS=(--engine mlops)
  fi
  STAMP="$(date +%Y%m%d-%H%M%S)"
  for nb in "${notebooks[@]}"; do
    out="example_notebooks/output/$(basename "$nb")"
    PARAMS=()
    # the release story starts from a new model each time (its gates compare with the current
    # holder), and a bundle is never overwritten: each main job gets its own
    [[ "$(basename "$nb")" == 03_* ]] &&
      PARAMS=(-p model_name "wine-$STAMP" -p bundle_dir "output/release-$STAMP")
    # monitoring: 04 releases, retrains and rolls back a new model; 05 (the scheduled job)
    # checks that same model on the data 04 generated
    [[ "$(basename "$nb")" == 04_* || "$(basename "$nb")" == 05_* ]] &&
      PARAMS=(-p model_name "demand-$STAMP")
    printf '    %s -> %s\n' "$nb" "$out"
    t=$SECONDS
    if ! papermill "$nb" "$out" --cwd example_notebooks -k python3 "${ENGINE_ARGS[@]}" \
      "${PARAMS[@]}" --log-level WARNING; then
      printf 'main.sh: FAILED: %s (see %s for the error cell)\n' "$nb" "$out" >&2
      exit 1
    fi
    printf '      done in %ss\n' "$((SECONDS - t))"
  done
fi

SWEEP_NB=example_notebooks/02_parameterised_sweep.ipynb
if [[ -f "$SWEEP_NB" ]]; then
  printf '==> A small sweep of %s (4 points, 2 warm kernels)\n' "$SWEEP_NB"
  mlops-jupyter sweep "$SWEEP_NB" --grid model=ridge,random_forest --grid alpha=0.1,1 \
    --workers 2 --warm-kernels --sort-by rmse --output-dir example_notebooks/output/sweep
fi

if ((START_LAB == 0)); then
  printf '==> --no-lab: not starting JupyterLab\n'
  exit 0
fi
if [[ "$(id -u)" == 0 ]] && [[ ! " ${LAB_ARGS[*]} " =~ " --allow-root " ]]; then
  LAB_ARGS+=(--allow-root)
fi
printf '==> jupyter lab %s\n' "${LAB_ARGS[*]}"
exec jupyter lab "${LAB_ARGS[@]}"
