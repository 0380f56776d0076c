"""The real-world corpus: which scikit-learn gallery examples, and how they become notebooks.

The examples are not kept in this repository: ``scripts/setup.sh`` (through
``scripts/fetch_sklearn_examples.sh``) copies ``examples/`` and the licence ``COPYING`` from the
source distribution of the *installed* scikit-learn into
``test-output/sklearn-examples/<version>/`` (git-ignored). At test time each chosen script is
converted to a notebook: the module docstring becomes a markdown cell, the script is split at
its ``# %%`` / ``#####`` separators (the comment block after a separator becomes a markdown
cell, the code after it a code cell), and the few run-time shortenings of ``EXAMPLES`` are
applied — each must match, so a changed upstream example fails loudly instead of silently
running something else.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
SEPARATOR = re.compile(r"^(# %%|#{20,})")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
FETCH = "bash scripts/fetch_sklearn_examples.sh"


@dataclass(frozen=True)
class Shortening:
    """Replace ``old`` by ``new`` exactly ``count`` times in the script, for the reason given."""

    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Example:
    source: str  # path inside the sdist, e.g. examples/model_selection/plot_det.py
    shortenings: tuple[Shortening, ...] = field(default=())


# Every example uses only data bundled with scikit-learn or generated (no fetch_*). The
# shortenings only cut run time (fewer splits, trials or grid points), never change the code's
# shape: each one keeps the cells, calls and printed lines of the published example.
EXAMPLES: dict[str, Example] = {
    "confusion_matrix": Example("examples/model_selection/plot_confusion_matrix.py"),
    "cv_predict": Example("examples/model_selection/plot_cv_predict.py"),
    "det": Example("examples/model_selection/plot_det.py"),
    "digits_classification": Example("examples/classification/plot_digits_classification.py"),
    "learning_curve": Example(
        "examples/model_selection/plot_learning_curve.py",
        # 50 shuffle splits per train size, twice (a display and learning_curve for the
        # timings): 10x fewer fits for the same curves; n_jobs=4 is kept, it is what makes
        # the kernel slow to exit (issue 15, finding 2)
        (
            Shortening(
                "ShuffleSplit(n_splits=50, test_size=0.2, random_state=0)",
                "ShuffleSplit(n_splits=5, test_size=0.2, random_state=0)",
                count=2,
            ),
        ),
    ),
    "multi_metric_evaluation": Example(
        "examples/model_selection/plot_multi_metric_evaluation.py",
        # a 21-point min_samples_split grid x 5 folds x 2 scorers: 9 points show the same curves
        (Shortening("range(2, 403, 20)", "range(2, 403, 50)"),),
    ),
    "nested_cross_validation_iris": Example(
        "examples/model_selection/plot_nested_cross_validation_iris.py",
        # 30 trials of a GridSearchCV inside cross_val_score: 5 still make the nested search
        # (and its bounded child runs) happen many times over
        (Shortening("NUM_TRIALS = 30", "NUM_TRIALS = 5"),),
    ),
    "ols_ridge": Example("examples/linear_model/plot_ols_ridge.py"),
    "roc_crossval": Example("examples/model_selection/plot_roc_crossval.py"),
    "train_error_vs_test_error": Example(
        "examples/model_selection/plot_train_error_vs_test_error.py",
        # a 60-point alpha validation curve of an ElasticNet with 500 features: 12 points over
        # the same range find an optimum all the same
        (Shortening("alphas = np.logspace(-5, 1, 60)", "alphas = np.logspace(-5, 1, 12)"),),
    ),
}


def examples_root() -> Path:
    """``test-output/sklearn-examples/<installed version>`` (``MLOPS_SKLEARN_EXAMPLES`` overrides)."""
    import sklearn

    override = os.environ.get("MLOPS_SKLEARN_EXAMPLES")
    if override:
        return Path(override)
    return REPO / "test-output" / "sklearn-examples" / sklearn.__version__


def missing_examples() -> str | None:
    """Why the corpus cannot run (a message that says how to fix it), or None."""
    import sklearn

    root = examples_root()
    absent = [
        name
        for name in ["COPYING", *(example.source for example in EXAMPLES.values())]
        if not (root / name).is_file()
    ]
    if not absent:
        return None
    return (
        f"the corpus test needs scikit-learn {sklearn.__version__}'s example gallery in {root} "
        f"(missing: {', '.join(absent)}); scripts/setup.sh fetches it: run `{FETCH}` "
        "(it needs pip to reach the package index), or set MLOPS_SKLEARN_EXAMPLES to a folder "
        "holding that version's examples/ and COPYING"
    )


def cells_of(script: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: the docstring as markdown, then text and code blocks in order."""
    tree = ast.parse(script)
    lines = script.splitlines()
    cells: list[tuple[str, str]] = []
    doc = ast.get_docstring(tree, clean=True)
    if doc:
        first = tree.body[0]
        cells.append(("markdown", doc))
        lines = lines[: first.lineno - 1] + lines[first.end_lineno :]  # type: ignore[operator]
    block: list[str] = []

    def flush_code() -> None:
        code = "\n".join(block).strip("\n")
        if code.strip():
            cells.append(("code", code))
        block.clear()

    index = 0
    while index < len(lines):
        line = lines[index]
        if SEPARATOR.match(line):
            flush_code()
            index += 1
            text = []
            while index < len(lines) and lines[index].startswith("#"):
                text.append(lines[index][2:] if lines[index].startswith("# ") else "")
                index += 1
            if any(part.strip() for part in text):
                cells.append(("markdown", "\n".join(text).strip("\n")))
            continue
        block.append(line)
        index += 1
    flush_code()
    return cells


def shortened(name: str, script: str) -> str:
    """The script with its shortenings applied; raises when one no longer matches exactly."""
    for cut in EXAMPLES[name].shortenings:
        found = script.count(cut.old)
        if found != cut.count:
            raise ValueError(
                f"{name}: expected {cut.count} occurrence(s) of {cut.old!r} in "
                f"{EXAMPLES[name].source}, found {found}: the upstream example changed; "
                "update the shortening in tests/tracking/corpus_support.py"
            )
        script = script.replace(cut.old, cut.new)
    return script


def convert(name: str, out: Path) -> Path:
    """Write example ``name`` as the notebook ``out``; cell ids are ``cell-0``, ``cell-1``, ..."""
    import sklearn

    example = EXAMPLES[name]
    root = examples_root()
    adapted = "; ".join(f"{cut.old!r} -> {cut.new!r}" for cut in example.shortenings)
    header = (
        f"**Source:** scikit-learn {sklearn.__version__}'s example gallery, `{example.source}` "
        "(from its source distribution).\n\n"
        "Copyright (c) the scikit-learn developers. BSD-3-Clause licence: see `COPYING` in "
        f"`{root}`. Converted to a notebook for mlops_jupyter's real-world corpus test, "
        + (f"shortened for run time: {adapted}." if adapted else "unchanged otherwise.")
    )
    cells = [nbformat.v4.new_markdown_cell(header)]
    script = shortened(name, (root / example.source).read_text())
    for kind, text in cells_of(script):
        maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cells.append(maker(text))
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["corpus"] = {
        "source": example.source,
        "scikit_learn": sklearn.__version__,
        "adapted": adapted,
    }
    nbformat.validate(nb)
    nbformat.write(nb, out)
    return out
