"""The real-world corpus: published scikit-learn gallery examples (``corpus/``, BSD-3-Clause,
converted to notebooks; nobody here wrote them) run three ways — plain papermill, the ``mlops``
papermill engine, and every code cell ``%%track`` — in real kernels.

Asserted: a tracked variant succeeds wherever the plain run does; every code cell prints the
same text (stdout and ``text/plain`` results; numbers that differ between two plain runs, such
as timings and addresses, excepted); every recorded run ends ``finished``; no tracking warning
is printed; the logged model of a run is a class the notebook itself uses, never a helper that
scikit-learn fits inside its own functions; a run's search child runs stay within
``Track.max_child_runs``.

Set ``MLOPS_CORPUS_REPORT=path.json`` to keep the per-notebook timings (the overhead table).
"""

from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
import pytest

import mlops_jupyter as mj

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

CORPUS = Path(__file__).parent / "corpus"
NOTEBOOKS = sorted(
    path
    for path in CORPUS.glob("*.ipynb")
    if not os.environ.get("MLOPS_CORPUS_ONLY")  # a comma-separated subset, to debug one example
    or path.stem in os.environ["MLOPS_CORPUS_ONLY"].split(",")
)
VARIANTS = ("plain", "plain again", "engine", "track")
MAX_CHILD_RUNS = 5  # Track.max_child_runs' default
NUMBER = re.compile(r"(0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
WORKERS = 3  # kernels start and wait on each other: a little more than the 2 cores


def tracked_copy(source: Path, target: Path) -> None:
    """The notebook with ``%%track`` on every code cell."""
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = "%%track\n" + cell.source
    nbformat.write(nb, target)


def execute(notebook: Path, variant: str, folder: Path) -> dict[str, Any]:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    stem = f"{notebook.stem}.{variant.replace(' ', '_')}"
    source, out = notebook, folder / f"{stem}.out.ipynb"
    options: dict[str, Any] = {"progress_bar": False, "kernel_name": "python3"}
    if variant == "engine":
        options["engine_name"] = "mlops"
    if variant == "track":
        source = folder / f"{stem}.ipynb"
        tracked_copy(notebook, source)
        options["extra_arguments"] = ["--ext=mlops_jupyter"]  # %load_ext before the first cell
    started = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(str(source), str(out), **options)
    except PapermillExecutionError as failure:
        error = f"{failure.ename}: {failure.evalue}"
    except Exception as failure:  # a dead kernel, a timeout: reported by the test, not raised here
        error = f"{type(failure).__name__}: {failure}"
    wall = time.perf_counter() - started
    if not out.exists():
        return {"notebook": notebook.stem, "variant": variant, "ok": False, "error": error}
    nb = nbformat.read(out, as_version=4)
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    return {
        "notebook": notebook.stem,
        "variant": variant,
        "ok": error is None,
        "error": error,
        "wall_s": wall,
        "cells_s": sum(cell.metadata.get("papermill", {}).get("duration") or 0 for cell in cells),
        "printed": [printed_text(cell) for cell in cells],
        "stderr": [
            "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
            for cell in cells
        ],
        "run_id": nb.metadata.get("mlops_jupyter", {}).get("run_id"),
    }


def printed_text(cell: Any) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "execute_result":
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def same_text(plain: str, again: str, tracked: str) -> bool:
    """``tracked`` equals ``plain`` except at numbers that differ between the two plain runs."""
    if tracked == plain:
        return True
    first, second, third = (NUMBER.split(text) for text in (plain, again, tracked))
    if len(first) != len(second) or len(first) != len(third):
        return False
    for index, (a, b, c) in enumerate(zip(first, second, third, strict=True)):
        varies = index % 2 == 1 and a != b  # odd parts are the numbers
        if c != a and not varies:
            return False
    return True


def model_is_the_users(class_path: str, code: str) -> bool:
    """The logged model's class is one the notebook names (``make_pipeline`` names Pipeline)."""
    return class_path.rsplit(".", 1)[-1].lower() in code.lower()


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    from mlops_jupyter.store import reset_stores
    from mlops_jupyter.tracking import context

    folder = tmp_path_factory.mktemp("corpus")
    saved = {name: os.environ.get(name) for name in ("MLOPS_JUPYTER_STORE", "MLOPS_JUPYTER_USER")}
    os.environ["MLOPS_JUPYTER_STORE"] = str(folder / "store")  # the kernels inherit it
    os.environ["MLOPS_JUPYTER_USER"] = "corpus"
    context.reset()
    reset_stores()
    jobs = [
        (notebook, variant) for notebook in NOTEBOOKS for variant in ("plain", "engine", "track")
    ]
    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda job: execute(job[0], job[1], folder), jobs))
            # a second plain run tells which numbers vary by themselves; needed only where a
            # tracked variant printed something else than the first plain run
            done = {(r["notebook"], r["variant"]): r for r in results}
            again = [
                (path, "plain again")
                for path in NOTEBOOKS
                if any(
                    done[(path.stem, variant)].get("printed")
                    != done[(path.stem, "plain")].get("printed")
                    for variant in ("engine", "track")
                )
            ]
            results += list(pool.map(lambda job: execute(job[0], job[1], folder), again))
        frame = mj.runs(limit=100_000)
        views = {run_id: mj.get_run(run_id) for run_id in frame.run_id}
        yield {(r["notebook"], r["variant"]): r for r in results} | {("", "views"): views}  # type: ignore[misc]
    finally:
        context.reset()
        reset_stores()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_the_corpus_has_ten_published_examples() -> None:
    assert len(NOTEBOOKS) >= 10 or os.environ.get("MLOPS_CORPUS_ONLY")
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["corpus"]["source"].startswith("examples/")
        assert "BSD-3-Clause" in nb.cells[0].source


def test_tracked_variants_behave_like_plain_papermill(corpus_runs) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for path in NOTEBOOKS:
        plain = corpus_runs[(path.stem, "plain")]
        again = corpus_runs.get((path.stem, "plain again"), plain)  # run only when needed
        for variant in ("engine", "track"):
            result = corpus_runs[(path.stem, variant)]
            if plain["ok"] and not result["ok"]:
                problems.append(
                    f"{path.stem} [{variant}]: failed where plain papermill succeeded: {result['error']}"
                )
                continue
            if not (plain["ok"] and again["ok"]):
                continue  # nothing to compare with
            for index, texts in enumerate(
                zip(plain["printed"], again["printed"], result["printed"], strict=True)
            ):
                if not same_text(*texts):
                    problems.append(
                        f"{path.stem} [{variant}] code cell {index}: printed\n{texts[2]!r}\nplain:\n{texts[0]!r}"
                    )
            for index, text in enumerate(result["stderr"]):
                if "TrackingWarning" in text or "mlops_jupyter:" in text:
                    problems.append(f"{path.stem} [{variant}] code cell {index}: {text.strip()}")
    assert problems == []
    report_overhead(corpus_runs)


def test_every_run_finished_with_the_users_model_and_bounded_children(corpus_runs) -> None:  # type: ignore[no-untyped-def]
    views = corpus_runs[("", "views")]
    codes = {
        path.stem: "\n".join(
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
        )
        for path in NOTEBOOKS
    }
    engine_runs = {corpus_runs[(stem, "engine")]["run_id"] for stem in codes}
    assert None not in engine_runs
    assert {run_id for run_id in engine_runs if views[run_id].status == "finished"} == engine_runs
    unfinished = [(v.name, v.kind, v.status) for v in views.values() if v.status != "finished"]
    assert unfinished == []
    sessions = [v for v in views.values() if v.kind == "notebook" and v.run_id not in engine_runs]
    assert len(sessions) == len(NOTEBOOKS)  # one per tracked notebook kernel, ended at its shutdown
    everything = "\n".join(codes.values())
    for view in views.values():
        model = view.tags.get("mlops.model_class")
        if model is not None:
            notebook = next(
                (
                    stem
                    for stem, code in codes.items()
                    if view.source.get("code") and view.source["code"] in code
                ),
                None,
            )
            assert model_is_the_users(model, codes[notebook] if notebook else everything), (
                view.name,
                model,
            )
        if (
            view.kind == "cell"
            and view.parent_run_id in views
            and views[view.parent_run_id].kind == "notebook"
        ):
            assert len(view.children) <= MAX_CHILD_RUNS, (view.name, len(view.children))
    if any(path.stem == "nested_cross_validation_iris" for path in NOTEBOOKS):
        searched = [v for v in views.values() if v.kind == "cell" and v.children]
        assert searched, "the corpus has searches: some cell run must have candidate child runs"


def report_overhead(corpus_runs: dict[tuple[str, str], dict[str, Any]]) -> None:
    rows = []
    for path in NOTEBOOKS:
        row: dict[str, Any] = {"notebook": path.stem}
        for variant in VARIANTS:
            result = corpus_runs.get((path.stem, variant))
            if result is None or "wall_s" not in result:
                continue
            row[variant] = {
                "wall_s": round(result["wall_s"], 2),
                "cells_s": round(result["cells_s"], 2),
            }
        rows.append(row)
    target = os.environ.get("MLOPS_CORPUS_REPORT")
    if target:
        Path(target).write_text(json.dumps(rows, indent=2))
