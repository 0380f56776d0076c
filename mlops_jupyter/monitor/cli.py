"""CLI verbs of monitoring: ``monitor drift|performance|ls|profile`` and ``retrain``.

Exit codes let a scheduler or CI job gate on a check: 0 the check passed, 1 it failed (drift,
a metric below its threshold, or a schema problem that makes the comparison unsound), 2 bad
input (unknown model or alias, no reference profile, unreadable data, bad option).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, EXIT_USAGE, FORMAT_OPTION, emit, fail
from mlops_jupyter.registry.cli_support import iso_time

# Start-up: `mlops-jupyter --help` imports this module (click asks every verb for its help), so
# this package's modules (checks, profiles, the serving log, retraining: pandas, scikit-learn,
# SQLAlchemy) are imported inside the commands that use them.

F = TypeVar("F", bound=Callable[..., Any])
LS_FIELDS = ["check_id", "model", "alias", "version", "kind", "status", "drifted", "at"]


def monitor_errors(command: F) -> F:
    """Input problems → one line on stderr and exit 2 (never a traceback)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mlops_jupyter.monitor.checks import MonitorError  # noqa: PLC0415 - start-up
        from mlops_jupyter.registry.errors import RefusedError, RegistryError  # noqa: PLC0415 - start-up
        from mlops_jupyter.tracking.profile import ProfileError  # noqa: PLC0415 - start-up

        try:
            return command(*args, **kwargs)
        except RefusedError as error:
            fail(str(error), EXIT_CHECK_FAILED)
        except (MonitorError, ProfileError, RegistryError, OSError, ValueError) as error:
            fail(str(error), EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


def model_uri(text: str) -> str:
    """``NAME@ALIAS``, ``NAME/VERSION`` or a ``models:/`` URI → a ``models:/`` URI."""
    body = text[len("models:/") :] if text.startswith("models:/") else text
    if "@" not in body and "/" not in body:
        raise click.BadParameter(
            f"{text!r}: write NAME@ALIAS (e.g. diabetes@production) or NAME/VERSION"
        )
    return f"models:/{body}"


def _record(check_id: str | None, report: Any) -> dict[str, Any]:
    model = report.model or {}
    return {
        "check_id": check_id,
        "model": model.get("name"),
        "alias": model.get("alias"),
        "version": model.get("version"),
        "kind": "drift" if hasattr(report, "drifted_columns") else "performance",
        "status": report.status,
        "drifted": getattr(report, "drifted", None),
        "at": iso_time(datetime.now(timezone.utc).timestamp()),
    }


def _show_chain(report: Any) -> None:
    chain = (report.model or {}).get("chain")
    if not chain:
        return
    click.echo(f"  version:      {chain['version']}")
    click.echo(f"  training run: {chain['training_run']} ({chain.get('training_run_name') or ''})")
    if chain.get("notebook"):
        click.echo(f"  notebook:     {chain['notebook']}")
    for dataset in chain.get("datasets", []):
        click.echo(f"  data:         {dataset['uri']} @ {str(dataset['fingerprint'])[:16]}")


@click.group("monitor")
def monitor_group() -> None:
    """Drift and performance checks against a model version's reference profile.

    \b
    Each check about a model is recorded as a run (kind "check") linked to the version, its
    training run, data fingerprints and notebook. Exit codes: 0 passed, 1 failed, 2 bad input.

    \b
    Examples:
      mlops-jupyter monitor drift diabetes@production --data new/*.parquet
      mlops-jupyter monitor drift --reference train.csv --data today.csv --format json
      mlops-jupyter monitor performance diabetes@production --data labelled.csv --target y
      mlops-jupyter monitor ls diabetes --format json
    """


@monitor_group.command("drift")
@click.argument("model", required=False)
@click.option(
    "--reference", "reference", help="Reference data (CSV/parquet path or glob) or a profile .json."
)
@click.option(
    "--data", "data", default=None, help="Current data: CSV/parquet path, directory or glob."
)
@click.option(
    "--from-serving-log",
    "from_serving_log",
    is_flag=True,
    help="Current data: the inputs the model server logged for MODEL's version (serve --log-predictions).",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "ks", "psi", "wasserstein", "jensenshannon", "chi2"]),
    default="auto",
    show_default=True,
    help="auto: KS/chi² up to 1000 reference rows, normed Wasserstein/Jensen-Shannon above.",
)
@click.option(
    "--threshold", type=float, help="Override the method's threshold (alpha for p-values)."
)
@click.option(
    "--share", type=float, help="Dataset drift when at least this share of columns drift."
)
@click.option("--column", "columns", multiple=True, help="Compare only this column (repeat).")
@FORMAT_OPTION
@monitor_errors
def drift_command(
    model: str | None,
    reference: str | None,
    data: str | None,
    from_serving_log: bool,
    method: str,
    threshold: float | None,
    share: float | None,
    columns: tuple[str, ...],
    output_format: str,
) -> None:
    """Compare --data with MODEL's reference profile (NAME@ALIAS) or with --reference PATH.

    With both MODEL and --reference, the check compares with PATH and is recorded for MODEL.
    """
    from mlops_jupyter.monitor.checks import check_drift  # noqa: PLC0415 - start-up

    if model is None and reference is None:
        raise click.UsageError("name a model (NAME@ALIAS) or give --reference PATH")
    uri = model_uri(model) if model else None
    current: Any = data
    if from_serving_log:  # the served inputs (issue 13's prediction log)
        if uri is None or data is not None:
            raise click.UsageError("--from-serving-log takes a MODEL and no --data")
        from mlops_jupyter.serve.predictions import served_data  # noqa: PLC0415 - start-up

        current = served_data(uri, labelled=False)[0]
    elif data is None:
        raise click.UsageError("give --data PATH (or --from-serving-log)")
    elif not os.path.exists(data) and not any(ch in data for ch in "*?["):
        fail(f"no such file or directory: {data}", EXIT_USAGE)
    report = check_drift(
        reference if reference is not None else uri,
        current,
        model=uri if reference is not None else None,
        method=method,
        threshold=threshold,
        rule=share if share is not None else "any",
        columns=list(columns) or None,
    )
    record = _record(report.check_id, report)
    if output_format == "json":
        emit([{**record, "report": report.to_dict()}], "json")
    else:
        state = "DRIFT" if report.drifted else "no drift"
        click.echo(
            f"{state}: {len(report.drifted_columns)}/{len(report.columns)} columns drifted "
            f"({', '.join(report.drifted_columns) or 'none'}); {report.rule}"
        )
        frame = report.to_frame()
        emit(frame.to_dict("records"), output_format, list(frame.columns))
        for problem in report.problems:
            click.echo(f"problem ({problem['severity']}): {problem['message']}")
        if report.failed:
            _show_chain(report)
        if report.check_id:
            click.echo(f"check {report.check_id} recorded")
    sys.exit(EXIT_CHECK_FAILED if report.failed else 0)


@monitor_group.command("performance")
@click.argument("model")
@click.option("--data", default=None, help="Labelled data: CSV/parquet path or glob.")
@click.option("--target", default=None, help="The label column.")
@click.option(
    "--from-serving-log",
    "from_serving_log",
    is_flag=True,
    help="Labelled data: the served predictions of MODEL's version joined with mj.log_outcomes labels.",
)
@FORMAT_OPTION
@monitor_errors
def performance_command(
    model: str, data: str | None, target: str | None, from_serving_log: bool, output_format: str
) -> None:
    """Score MODEL (NAME@ALIAS) on labelled --data and compare with its recorded metrics."""
    from mlops_jupyter.monitor.checks import check_performance  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.profile import read_frame  # noqa: PLC0415 - start-up

    if from_serving_log:  # live quality from the model server's log (issue 13)
        if data is not None or target is not None:
            raise click.UsageError("--from-serving-log takes no --data/--target")
        from mlops_jupyter.serve.predictions import served_data  # noqa: PLC0415 - start-up

        features, labels = served_data(model_uri(model), labelled=True)
        report = check_performance(model_uri(model), features, labels)
    else:
        if data is None or target is None:
            raise click.UsageError("give --data PATH --target COLUMN (or --from-serving-log)")
        frame = read_frame(data)
        if target not in frame.columns:
            fail(f"--target {target!r} is not a column of {data}", EXIT_USAGE)
        report = check_performance(model_uri(model), frame, target=target)
    record = _record(report.check_id, report)
    if output_format == "json":
        emit([{**record, "report": report.to_dict()}], "json")
    else:
        click.echo(f"{report.status}: {report.model_uri} ({report.task}, {report.rows} rows)")
        table = report.to_frame()
        emit(table.to_dict("records"), output_format, list(table.columns))
        for problem in report.problems:
            click.echo(f"problem: {problem}")
        if report.failed:
            _show_chain(report)
    sys.exit(EXIT_CHECK_FAILED if report.failed else 0)


@monitor_group.command("ls")
@click.argument("name", required=False)
@click.option("--alias", help="Only checks of this alias.")
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@monitor_errors
def ls_command(name: str | None, alias: str | None, limit: int, output_format: str) -> None:
    """Recorded checks, newest first (all models, or NAME's)."""
    from mlops_jupyter.monitor.checks import list_checks  # noqa: PLC0415 - start-up

    records = []
    for check in list_checks(name, alias, limit=limit):
        record = {k: v for k, v in check.to_dict().items() if k in LS_FIELDS}
        record["at"] = iso_time(check.at)
        records.append(record)
    emit(records, output_format, LS_FIELDS)


@monitor_group.command("profile")
@click.argument("data")
@click.option("-o", "--output", help="Write the profile JSON here (default: print a summary).")
@monitor_errors
def profile_command(data: str, output: str | None) -> None:
    """Profile DATA (CSV/parquet path, directory or glob; read in chunks)."""
    from mlops_jupyter.tracking.profile import profile  # noqa: PLC0415 - start-up

    result = profile(data)
    if output:
        result.save(output)
        click.echo(f"{output}: {result.rows} rows × {len(result.columns)} columns")
        return
    table = result.to_frame()
    emit(table.to_dict("records"), "table", list(table.columns))


@click.command("retrain")
@click.argument("name")
@click.option("--data", help="The new training data (replaces the notebook's data parameter).")
@click.option(
    "-p",
    "--parameter",
    "parameters",
    nargs=2,
    multiple=True,
    metavar="K V",
    help="Override a parameter of the training notebook (typed by its parameters cell; repeat).",
)
@click.option("--alias", default="production", show_default=True, help="Whose holder to retrain.")
@click.option("--check", "check_id", help="The check that asked for it (recorded in the chain).")
@click.option("--timeout", type=float, help="Seconds the notebook may run.")
@FORMAT_OPTION
@monitor_errors
def retrain_command(
    name: str,
    data: str | None,
    parameters: tuple[tuple[str, str], ...],
    alias: str,
    check_id: str | None,
    timeout: float | None,
    output_format: str,
) -> None:
    """Re-run the notebook that trained NAME@ALIAS on --data, through the batch engine.

    \b
    The notebook and its parameters are found through lineage; the version the run registers
    (or the model it logged) is the candidate; the policy's gates are checked against the
    champion; then approval is requested (protected alias) or the candidate is promoted.
    Exit 0 when the candidate awaits approval or was promoted, 1 when the run or a gate failed.

    \b
    Example:
      mlops-jupyter retrain diabetes --data data/2026-12.csv -p alpha 0.5
    """
    from mlops_jupyter.batch.parameters import notebook_params, resolve_parameters  # noqa: PLC0415 - start-up
    from mlops_jupyter.monitor.retrain import retrain, training_source  # noqa: PLC0415 - start-up
    from mlops_jupyter.registry.versions import get_version  # noqa: PLC0415 - start-up

    if data is not None and not os.path.exists(data):
        fail(f"no such file or directory: {data}", EXIT_USAGE)
    typed: dict[str, Any] = {}
    if parameters:
        source = training_source(get_version(name, alias), _store())
        typed = resolve_parameters(notebook_params(source.notebook), words=parameters, strict=True)
    result = retrain(name, data=data, params=typed, alias=alias, check_id=check_id, timeout=timeout)
    if output_format == "json":
        emit([result.to_dict()], "json")
    else:
        click.echo(
            f"retrain run {result.run_id}: {result.status}; candidate "
            f"{'v' + str(result.candidate) if result.candidate else 'none'}; {result.action}"
        )
        if result.error:
            click.echo(f"error: {result.error}")
        for reason in (result.gates or {}).get("reasons", []):
            click.echo(f"  {reason}")
    sys.exit(0 if result.ok else EXIT_CHECK_FAILED)


def _store() -> Any:
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up

    return get_store()
