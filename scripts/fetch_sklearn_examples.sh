#!/usr/bin/env bash
# Copy the example gallery (examples/) and licence (COPYING) out of the source distribution of
# the *installed* scikit-learn, for the real-world corpus test (tests/tracking/test_corpus.py):
#
#   bash scripts/fetch_sklearn_examples.sh [PYTHON]      (default: python on PATH)
#
# Result: test-output/sklearn-examples/<version>/{examples/,COPYING} (git-ignored). Idempotent:
# does nothing when that folder is already complete. scripts/setup.sh runs it; when it fails,
# set-up still succeeds and the corpus test fails, naming this script.
#
# The sdist is fetched with pip (the ordinary package client). `pip download` of this sdist
# stops while preparing its metadata (a meson build), which is expected here: with --no-clean
# the unpacked sdist stays in the temporary folder and the examples are taken from there.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-python}"
version="$("$PY" -c 'import sklearn; print(sklearn.__version__)')"
dest="$REPO/test-output/sklearn-examples/$version"
if [[ -f "$dest/COPYING" && -d "$dest/examples" ]]; then
  echo "present: ${dest#"$REPO"/}"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# non-zero exit expected (see above); success is judged by what was unpacked
TMPDIR="$tmp" "$PY" -m pip download -q --no-clean --no-deps --no-binary :all: \
  --no-build-isolation -d "$tmp/dl" "scikit-learn==$version" >"$tmp/pip.log" 2>&1 || true
examples="$(find "$tmp" -maxdepth 3 -type d -name examples -path '*/scikit-learn*' | head -n 1)"
sdist="${examples%/examples}"
if [[ -z "$examples" || ! -f "$sdist/COPYING" || ! -f "$sdist/PKG-INFO" ]]; then
  echo "fetch_sklearn_examples.sh: no unpacked scikit-learn $version sdist found; pip said:" >&2
  tail -n 20 "$tmp/pip.log" >&2
  exit 1
fi
got="$(sed -n 's/^Version: //p' "$sdist/PKG-INFO" | head -n 1)"
if [[ "$got" != "$version" ]]; then
  echo "fetch_sklearn_examples.sh: the sdist is scikit-learn $got, installed is $version" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mkdir "$dest.partial"
cp -r "$examples" "$dest.partial/examples"
cp "$sdist/COPYING" "$dest.partial/COPYING"
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "copied: ${dest#"$REPO"/} ($(find "$dest/examples" -name '*.py' | wc -l) example scripts)"
