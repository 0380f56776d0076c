"""CLI verbs for batch execution: ``params``, ``run``, ``sweep`` and ``reproduce``.

Exit codes: 0 ok; 1 a notebook or point failed, or a run did not reproduce; 2 bad input (unknown
notebook, bad parameters under --strict — before any kernel starts); 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

# papermill -> nbformat -> jsonschema imports every optional format checker it finds; the one for
# IRIs (rfc3987_syntax) builds a grammar at import, 2.5 s of CPU per process here, ~75% of the
# papermill import. Notebook schemas use no formats: these commands' processes skip it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from mlops_jupyter.cli import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, FORMAT_OPTION, emit, fail  # noqa: E402

EXIT_INTERRUPTED = 130

NOTEBOOK = click.argument("notebook", type=click.Path(exists=True, dir_okay=False))
PARAMETER_OPTION = click.option(
    "-p",
    "--parameter",
    "words",
    nargs=2,
    multiple=True,
    metavar="NAME VALUE",
    help="A parameter, parsed with the type the notebook declares (repeatable).",
)
PARAMETER_FILE_OPTION = click.option(
    "-f",
    "--parameters-file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A YAML file of parameters (repeatable; -p wins).",
)
COMMON_OPTIONS = [
    click.option("--experiment", "-e", help="Record in this experiment."),
    click.option("--name", help="The run's name (default: from the notebook's name)."),
    click.option(
        "--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds a notebook may run."
    ),
    click.option(
        "--kernel", "kernel_name", help="Kernel to use (default: the notebook's kernelspec)."
    ),
    click.option(
        "--cwd",
        type=click.Path(file_okay=False),
        help="Working directory (default: the notebook's).",
    ),
    click.option(
        "--snapshot-inputs",
        type=click.Choice(["auto", "always", "never"]),
        expose_value=False,
        callback=lambda _ctx, _param, value: _snapshot_policy(value),
        help="Copy the input files the notebooks read into the artifact store: auto (files up "
        "to 100 MB), always, never (default: $MLOPS_JUPYTER_SNAPSHOT_INPUTS, else auto).",
    ),
]


def _snapshot_policy(value: str | None) -> None:
    """The kernels this command starts inherit the policy through the environment."""
    from mlops_jupyter.tracking.settings import SNAPSHOT_ENV  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    if value is not None:
        os.environ[SNAPSHOT_ENV] = value


def _usage(message: str) -> NoReturn:
    fail(message, EXIT_USAGE)
    raise SystemExit(EXIT_USAGE)  # fail() exits; this states it for type checkers


def common_options(command: Any) -> Any:
    for option in reversed(COMMON_OPTIONS):
        command = option(command)
    return command


def _yaml_parameters(files: tuple[str, ...]) -> dict[str, Any]:
    import yaml  # noqa: PLC0415 - start-up: yaml loads on first use, not on --help

    values: dict[str, Any] = {}
    for file in files:
        try:
            loaded = yaml.safe_load(Path(file).read_text())
        except yaml.YAMLError as error:
            _usage(f"{file} is not valid YAML: {error}")
        if loaded is None:
            continue
        if not isinstance(loaded, dict):
            _usage(
                f"{file} must hold a mapping of parameter names to values, got {type(loaded).__name__}"
            )
        values.update(loaded)
    return values


def _parameters(
    notebook: str, files: tuple[str, ...], words: tuple[tuple[str, str], ...], strict: bool
) -> dict[str, Any]:
    from mlops_jupyter.batch.parameters import ParameterError, notebook_params, resolve_parameters  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    try:
        return resolve_parameters(
            notebook_params(notebook), _yaml_parameters(files), words, strict=strict
        )
    except ParameterError as error:
        _usage(str(error))


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


# -- params ------------------------------------------------------------------------------------
@click.command("params")
@NOTEBOOK
@FORMAT_OPTION
def params_command(notebook: str, output_format: str) -> None:
    """List the parameters a notebook declares: name, type, default, help.

    They come from the cell tagged `parameters`, read with Python's ast: annotations
    (int, float, str, bool, list, dict, Optional[...], Literal[...]) or the default's type,
    and the comment on each line as help.
    """
    from mlops_jupyter.batch.parameters import ParameterError, notebook_params  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    try:
        declared = notebook_params(notebook)
    except ParameterError as error:
        _usage(str(error))
    if not declared.has_cell and output_format == "table":
        click.echo(f"{notebook} has no cell tagged 'parameters'")
        return
    records = declared.to_dicts()
    if output_format == "json":
        emit(records, output_format)
    else:
        emit(records, output_format, ["name", "type", "default_source", "help"])


# -- run ---------------------------------------------------------------------------------------
@click.command("run")
@NOTEBOOK
@PARAMETER_OPTION
@PARAMETER_FILE_OPTION
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Also write the executed notebook here."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 2 before any kernel starts on an unknown name or a value that does not fit its type.",
)
@common_options
@FORMAT_OPTION
def run_command(
    notebook: str,
    words: tuple[tuple[str, str], ...],
    files: tuple[str, ...],
    output: str | None,
    strict: bool,
    experiment: str | None,
    name: str | None,
    timeout: float | None,
    kernel_name: str | None,
    cwd: str | None,
    output_format: str,
) -> None:
    """Execute a notebook once as a tracked notebook run (papermill + the mlops engine).

    \b
    Examples:
      mlops-jupyter run train.ipynb -p alpha 0.5 -p model lasso --strict
      mlops-jupyter run train.ipynb -f params.yaml --output out/train.ipynb
    """
    from mlops_jupyter.batch.api import run_notebook  # noqa: PLC0415 - start-up: jupyter_client (via batch.api) loads on first use, not on --help
    from mlops_jupyter.batch.parameters import ParameterError  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    parameters = _parameters(notebook, files, words, strict)
    try:
        result = run_notebook(
            notebook,
            parameters,
            output=output,
            experiment=experiment,
            name=name,
            timeout=timeout,
            kernel_name=kernel_name,
            cwd=cwd,
        )
    except ParameterError as error:
        _usage(str(error))
    except KeyboardInterrupt:
        click.echo("interrupted: the run is recorded as killed", err=True)
        sys.exit(EXIT_INTERRUPTED)
    record = {
        "run_id": result.run_id,
        "status": result.status,
        "duration_s": result.duration_s,
        **{f"metrics.{k}": _json_ready(v) for k, v in sorted(result.metrics.items())},
        "error": result.error,
    }
    emit([record], output_format, list(record))
    sys.exit(EXIT_OK if result.ok else EXIT_CHECK_FAILED)


# -- sweep -------------------------------------------------------------------------------------
@click.command("sweep")
@NOTEBOOK
@click.option(
    "--grid",
    "grid_words",
    multiple=True,
    metavar="NAME=V1,V2",
    help="Values to try (repeatable; every combination runs).",
)
@click.option(
    "--random",
    "random_words",
    multiple=True,
    metavar="NAME=DIST",
    help="uniform(a,b), loguniform(a,b), randint(a,b), normal(mean,std) or choice(v1,v2,...).",
)
@click.option("--n", "n", type=click.IntRange(min=1), help="Random draws (per grid combination).")
@click.option("--seed", type=int, help="Seed of the random draws (default: drawn and recorded).")
@PARAMETER_OPTION
@PARAMETER_FILE_OPTION
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Points at once.",
)
@click.option(
    "--dask",
    metavar="local|ADDRESS",
    help="Run on dask.distributed: a LocalCluster or a scheduler address.",
)
@click.option(
    "--warm-kernels",
    is_flag=True,
    help="Reuse kernels, resetting the namespace between points (much faster; see docs for what is isolated).",
)
@click.option(
    "--output-dir", type=click.Path(file_okay=False), help="Also write each executed notebook here."
)
@click.option("--sort-by", help="Order the results by this metric (e.g. rmse).")
@click.option("--desc", is_flag=True, help="Sort descending (largest first).")
@click.option(
    "--results", type=click.Path(dir_okay=False), help="Write the results table to this CSV file."
)
@click.option(
    "--no-strict",
    "lenient",
    is_flag=True,
    help="Pass unknown names and ill-typed values with a warning.",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@common_options
@FORMAT_OPTION
def sweep_command(
    notebook: str,
    grid_words: tuple[str, ...],
    random_words: tuple[str, ...],
    n: int | None,
    seed: int | None,
    words: tuple[tuple[str, str], ...],
    files: tuple[str, ...],
    workers: int,
    dask: str | None,
    warm_kernels: bool,
    output_dir: str | None,
    sort_by: str | None,
    desc: bool,
    results: str | None,
    lenient: bool,
    no_progress: bool,
    experiment: str | None,
    name: str | None,
    timeout: float | None,
    kernel_name: str | None,
    cwd: str | None,
    output_format: str,
) -> None:
    """Run a notebook over a grid and/or random search: one sweep run, one child notebook run per
    point. A failing point never stops the others; the exit code is 1 if any failed. Ctrl-C stops
    cleanly: running points are killed and every unfinished point is recorded as killed.

    \b
    Examples:
      mlops-jupyter sweep train.ipynb --grid model=ridge,lasso --grid alpha=0.1,1,10 --sort-by rmse
      mlops-jupyter sweep train.ipynb --random 'alpha=loguniform(1e-3,10)' --n 20 --warm-kernels
      mlops-jupyter sweep train.ipynb --grid seed=0,1,2,3 --dask local --workers 4
    """
    from mlops_jupyter.batch.parameters import ParameterError, notebook_params  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use
    from mlops_jupyter.batch.sweep import follow, grid_from_words, random_from_words, start_sweep  # noqa: PLC0415 - start-up: jupyter_client (via batch.sweep) loads on first use, not on --help

    strict = not lenient
    fixed = _parameters(notebook, files, words, strict)
    try:
        declared = notebook_params(notebook)
        handle = start_sweep(
            notebook,
            grid_from_words(declared, grid_words),
            random_from_words(random_words),
            n,
            parameters=fixed,
            workers=workers,
            dask=dask,
            warm_kernels=warm_kernels,
            timeout=timeout,
            output_dir=output_dir,
            experiment=experiment,
            name=name,
            seed=seed,
            strict=strict,
            kernel_name=kernel_name,
            cwd=cwd,
        )
    except ParameterError as error:
        _usage(str(error))
    click.echo(f"sweep run {handle.sweep_run_id}: {handle.total} points", err=True)
    try:
        result, interrupted = follow(handle, progress=not no_progress)
    except OSError as error:  # e.g. no Dask scheduler at that address
        _usage(f"the sweep could not run: {error}")
    try:
        frame = result.to_frame(sort_by=sort_by, descending=desc)
    except KeyError as error:
        click.echo(f"warning: {error.args[0]}; results are in point order", err=True)
        frame = result.to_frame()
    if results:
        frame.to_csv(results, index=False)
    _print_results(frame, output_format)
    progress = handle.progress()
    click.echo(
        f"sweep {result.status}: {progress.finished} finished, {progress.failed} failed, {progress.killed} killed "
        f"(sweep run {result.sweep_run_id})",
        err=True,
    )
    if interrupted:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_OK if result.ok else EXIT_CHECK_FAILED)


def _print_results(frame: Any, output_format: str) -> None:
    if output_format == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    records = [
        {k: _json_ready(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]
    if output_format == "json":
        emit(records, "json")
        return
    for record in records:  # a table row stays readable: short run ids and errors
        record["run_id"] = (record.get("run_id") or "")[:12]
        error = record.get("error") or ""
        record["error"] = error if len(error) <= 60 else error[:57] + "..."
    emit(records, "table", list(frame.columns))


# -- reproduce ---------------------------------------------------------------------------------
@click.command("reproduce")
@click.argument("run_id")
@click.option(
    "--tolerance",
    "-t",
    type=click.FloatRange(min=0),
    default=1e-9,
    show_default=True,
    help="Relative tolerance for metrics (also the absolute floor near zero).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="PATTERN",
    help="Metric names not compared (glob; default: *_seconds and autolog's *fit_time_s).",
)
@click.option("--strict-env", is_flag=True, help="Package version differences also make it fail.")
@click.option(
    "--restore-inputs",
    is_flag=True,
    help="Re-execute in a scratch folder against the input snapshots (a run whose data moved "
    "on still reproduces); the report says, input by input, snapshot or live.",
)
@click.option(
    "--check-only", is_flag=True, help="Only compare inputs and packages; do not re-execute."
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Also write the re-executed notebook here.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds the re-execution may run.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def reproduce_command(
    run_id: str,
    tolerance: float,
    ignore: tuple[str, ...],
    strict_env: bool,
    restore_inputs: bool,
    check_only: bool,
    output: str | None,
    timeout: float | None,
    output_format: str,
) -> None:
    """Re-execute a recorded notebook run and say whether it reproduces.

    First the run's input files are fingerprinted again and the package versions it used are
    compared with the installed ones (every difference is named); then the recorded notebook
    snapshot runs with the recorded parameters and the metrics are compared. Exit 0 when it
    reproduced, 1 (with the reasons) when not.

    With --restore-inputs the notebook runs in a scratch folder where its input files are the
    versions the run read, restored from their snapshots: inputs that changed or went missing
    since then no longer fail it. An input without a snapshot stays live (and fails it when
    it changed).

    \b
    Examples:
      mlops-jupyter reproduce 01jx...
      mlops-jupyter reproduce 01jx... --restore-inputs --format json
    """
    from mlops_jupyter.batch.reproduce import DEFAULT_IGNORED, NotReproducibleError, reproduce  # noqa: PLC0415 - start-up: jupyter_client (via batch.reproduce) loads on first use, not on --help

    try:
        report = reproduce(
            run_id,
            tolerance,
            output=output,
            ignore=ignore or DEFAULT_IGNORED,
            strict_env=strict_env,
            execute=not check_only,
            timeout=timeout,
            restore_inputs=restore_inputs,
        )
    except NotReproducibleError as error:
        _usage(str(error))
    except KeyboardInterrupt:
        click.echo("interrupted: the re-execution is recorded as killed", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        click.echo(report.to_text())
    sys.exit(EXIT_OK if report.reproduced else EXIT_CHECK_FAILED)
