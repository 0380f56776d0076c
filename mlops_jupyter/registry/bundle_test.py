"""Testing a release bundle before it ships (``mlops-jupyter models test BUNDLE_DIR``).

The bundle is copied to a fresh temporary directory and checked by a new Python process
started in isolated mode (``python -I``: no ``PYTHONPATH``, no user site, not this package)
with a minimal environment, so it sees only the bundle's files and the installed libraries the
bundle's ``requirements.txt`` names — what a deployment would see. Checks, in order:

1. ``manifest``: every file listed in ``MANIFEST.sha256`` exists with its hash; no file is
   missing from the list; the model file's hash is the one ``release.json`` records;
2. ``load``: the model loads under the same rule as ``load_model`` (skops: only types skops
   trusts by default, the package's scikit-learn allowlist and the caller's ``trusted``, checked
   on the file's schema before anything is built; the types ``release.json`` lists are the
   bundle's own claim and grant nothing; a pickle bundle is loaded only with
   ``trust_pickle=True``);
3. ``input``: ``input_example.json`` matches the input signature (columns and dtype families);
4. ``predict``: the example runs through ``predict``;
5. ``output``: the output has a row per example row, and the shape and dtype kind the
   signature's ``output`` recorded at export.

Each failed check is named; later checks that depend on it report "not run".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_jupyter.registry.serialization import SKLEARN_TRUSTED_TYPES, trusted_names

# Runs in the isolated process: standard library, numpy, pandas, skops only.
CHECK_SCRIPT = r"""
import hashlib, json, os, pickle, sys
from pathlib import Path

checks = []
def check(name, ok, detail):
    checks.append({"name": name, "ok": bool(ok), "detail": detail})
    return ok
def skipped(*names):
    for name in names:
        check(name, False, "not run: an earlier check failed")
def done():
    print(json.dumps(checks))
    sys.exit(0)

root = Path(".")
manifest = root / "MANIFEST.sha256"
release = {}
problems = []
if not manifest.is_file():
    problems.append("MANIFEST.sha256 is missing")
else:
    listed = {}
    for number, line in enumerate(manifest.read_text().splitlines(), 1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if not name or len(digest) != 64:
            problems.append(f"line {number} of MANIFEST.sha256 is not 'SHA256  PATH'")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        path = root / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name} points outside the bundle")
        elif path.is_symlink() or not path.is_file():
            problems.append(f"{name} is missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name} does not match its hash (changed after export)")
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        name = path.relative_to(root).as_posix()
        if name != "MANIFEST.sha256" and name not in listed:
            problems.append(f"{name} is not in the manifest (added after export)")
    try:
        release = json.loads((root / "release.json").read_text())
        model_file = root / release["model_file"]
        if hashlib.sha256(model_file.read_bytes()).hexdigest() != release["sha256"]:
            problems.append(f"{release['model_file']} is not the registered model (hash differs from release.json)")
    except Exception as error:
        problems.append(f"release.json cannot be read: {type(error).__name__}: {error}")
if not check("manifest", not problems, "; ".join(problems) or "every file matches MANIFEST.sha256 and release.json"):
    skipped("load", "input", "predict", "output")
    done()

try:
    data = (root / release["model_file"]).read_bytes()
    if release["format"] == "skops":
        import skops.io
        allowed = set(json.loads(os.environ.get("MLOPS_BUNDLE_TRUSTED") or "[]"))
        needed = sorted(skops.io.get_untrusted_types(data=data))
        refused = [name for name in needed if name not in allowed]
        if refused:
            raise ValueError(
                "the model file needs untrusted types: " + ", ".join(refused)
                + "; nothing from it was built (trust them with --trust TYPE if you know the file)"
            )
        model = skops.io.loads(data, trusted=needed)
        how = f"skops with {len(needed)} allowlisted type(s)"
    elif release["format"] == "pickle" and os.environ.get("MLOPS_BUNDLE_TRUST_PICKLE") == "1":
        model = pickle.loads(data)
        how = "pickle (trusted by the caller)"
    else:
        raise ValueError(f"format {release['format']!r} is not loaded here (pickle needs --trust-pickle)")
    check("load", callable(getattr(model, "predict", None)), f"{type(model).__name__} loaded ({how})")
except Exception as error:
    check("load", False, f"{type(error).__name__}: {error}"[:500])
    skipped("input", "predict", "output")
    done()

import numpy as np
import pandas as pd

def family(dtype):
    kind = np.dtype(dtype).kind if str(dtype) not in ("category", "string", "str") else "O"
    return {"f": "float", "i": "integer", "u": "integer", "b": "bool", "O": "string", "U": "string", "S": "string", "M": "datetime", "m": "timedelta", "c": "complex"}.get(kind, "other")

widens = {"integer": {"integer", "float"}}
signature = {}
try:
    signature = json.loads((root / "signature.json").read_text()) or {}
    example = json.loads((root / "input_example.json").read_text())
    if "columns" in example:
        frame = pd.DataFrame(example["data"], columns=example["columns"])
        for column, dtype in (example.get("dtypes") or {}).items():
            frame[column] = frame[column].astype(dtype)
        rows = len(frame)
        problems = []
        declared = [c["name"] for c in signature.get("columns") or []]
        if declared:
            missing = [c for c in declared if c not in frame.columns]
            extra = [c for c in frame.columns if c not in declared]
            if missing:
                problems.append("missing columns " + ", ".join(missing))
            if extra:
                problems.append("extra columns " + ", ".join(map(str, extra)))
            for spec in signature["columns"]:
                if spec["name"] in frame.columns and spec.get("dtype"):
                    want, have = family(spec["dtype"]), family(frame[spec["name"]].dtype)
                    if want != have and want not in widens.get(have, ()):
                        problems.append(f"column {spec['name']} is {have}, the signature says {want}")
            frame = frame[[c for c in declared if c in frame.columns]]
        data_in = frame
    else:
        data_in = np.asarray(example["data"], dtype=example.get("dtype"))
        rows = len(data_in)
        problems = []
        count = signature.get("n_features")
        if count is not None and (data_in.ndim != 2 or data_in.shape[1] != count):
            problems.append(f"the example has shape {data_in.shape}, the signature wants {count} feature(s)")
    ok = check("input", not problems, "; ".join(problems) or f"{rows} example row(s) match the signature")
except Exception as error:
    check("input", False, f"the input example cannot be read: {type(error).__name__}: {error}"[:500])
    skipped("predict", "output")
    done()
if not ok:
    skipped("predict", "output")
    done()

try:
    output = np.asarray(model.predict(data_in))
    check("predict", True, f"predict returned {output.dtype} of shape {output.shape}")
except Exception as error:
    check("predict", False, f"{type(error).__name__}: {error}"[:500])
    skipped("output")
    done()

problems = []
if output.ndim == 0 or output.shape[0] != rows:
    problems.append(f"{rows} row(s) in, output shape {output.shape}")
expected = signature.get("output")
if not expected:
    problems.append("the signature records no output (export the bundle again to record it)")
else:
    want_shape = [None, *expected["shape"][1:]]
    got_shape = [None, *output.shape[1:]]
    if want_shape != got_shape:
        problems.append(f"output shape {list(output.shape)} does not fit the signature's {expected['shape']}")
    if family(output.dtype) != family(expected["dtype"]):
        problems.append(f"output dtype {output.dtype} is not the signature's {expected['dtype']}")
check("output", not problems, "; ".join(problems) or f"shape {list(output.shape)} and dtype {output.dtype} match the signature")
done()
"""


@dataclass(frozen=True)
class BundleReport:
    """The outcome of ``models test``: every check with its detail."""

    bundle: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check["ok"] for check in self.checks)

    def failed(self) -> list[str]:
        return [c["name"] for c in self.checks if not c["ok"] and "not run" not in c["detail"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "ok": self.ok,
            "failed": self.failed(),
            "checks": self.checks,
        }


def output_spec(model: Any, input_example: dict[str, Any] | None) -> dict[str, Any] | None:
    """The output the signature records at export: ``{"shape": [null, ...], "dtype"}``, from
    the model's prediction on its input example (None without an example)."""
    if not input_example:
        return None
    import numpy as np  # noqa: PLC0415 - start-up: numpy is imported on first use
    import pandas as pd  # noqa: PLC0415 - start-up: pandas is imported on first use

    if "columns" in input_example:
        data: Any = pd.DataFrame(input_example["data"], columns=input_example["columns"])
        for column, dtype in (input_example.get("dtypes") or {}).items():
            data[column] = data[column].astype(dtype)
    else:
        data = np.asarray(input_example["data"], dtype=input_example.get("dtype"))
    output = np.asarray(model.predict(data))
    return {"shape": [None, *output.shape[1:]], "dtype": str(output.dtype)}


def check_bundle(
    bundle_dir: str | Path,
    *,
    timeout: float = 300.0,
    trust_pickle: bool = False,
    trusted: Iterable[Any] | None = None,
) -> BundleReport:
    """Check a release bundle in a fresh, isolated Python process (see the module docstring).
    ``trusted``: types the model file may hold beyond skops' defaults and the allowlist."""
    source = Path(bundle_dir).expanduser().resolve()
    if not source.is_dir():
        raise FileNotFoundError(f"{bundle_dir} is not a directory")
    with tempfile.TemporaryDirectory(prefix="mlops-bundle-test-") as scratch:
        copy = Path(scratch) / "bundle"
        shutil.copytree(source, copy, symlinks=True)
        env = {
            key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ
        }
        if trust_pickle:
            env["MLOPS_BUNDLE_TRUST_PICKLE"] = "1"
        env["MLOPS_BUNDLE_TRUSTED"] = json.dumps(
            sorted(set(SKLEARN_TRUSTED_TYPES) | trusted_names(trusted))
        )
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", CHECK_SCRIPT],
                cwd=copy,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return BundleReport(
                str(source),
                [{"name": "process", "ok": False, "detail": f"timed out after {timeout:g} s"}],
            )
    try:
        checks = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return BundleReport(
            str(source),
            [
                {
                    "name": "process",
                    "ok": False,
                    "detail": f"the test process exited {done.returncode}: {' | '.join(tail)}",
                }
            ],
        )
    return BundleReport(str(source), checks)
