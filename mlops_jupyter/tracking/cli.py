"""CLI verbs for tracking and the store: ``runs ls|show``, ``store info|migrate|fsck``, ``gc``."""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timezone
from typing import Any

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, FORMAT_OPTION, emit, fail

# Start-up: `mlops-jupyter --help` imports this module (click asks every verb for its help), so
# this package's modules (the store, queries, maintenance: SQLAlchemy, pandas) are imported inside
# the commands that use them.


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/inf; keep them readable and faithful
    return value


@click.group("runs")
def runs_group() -> None:
    """List and inspect recorded runs."""


@runs_group.command("ls")
@click.option("--experiment", "-e", help="Only runs of this experiment.")
@click.option(
    "--filter", "-f", "filter_", help="e.g. \"metrics.acc > 0.9 and params.model = 'rf'\""
)
@click.option("--order-by", "-o", help='e.g. "metrics.acc desc, start_time"')
@click.option("--limit", "-n", type=click.IntRange(min=0), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@FORMAT_OPTION
def runs_ls(
    experiment: str | None,
    filter_: str | None,
    order_by: str | None,
    limit: int,
    offset: int,
    output_format: str,
) -> None:
    """List runs, newest first unless --order-by says otherwise.

    \b
    Filter language: comparisons on metrics.KEY, params.KEY, tags.KEY and name, status, kind,
    experiment, start_time, duration_s; combine with and, or, not, parentheses; also
    KEY in (...), KEY like 'pat%', KEY is null. like is case-sensitive, ilike is not;
    % matches any text, _ one character, \\% and \\_ a literal % and _.
    """
    from mlops_jupyter.tracking.query import runs  # noqa: PLC0415 - start-up

    frame = runs(
        experiment=experiment, filter=filter_, order_by=order_by, limit=limit, offset=offset
    )
    records: list[dict[str, Any]] = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for column, value in row.items():
            key = str(column)
            if hasattr(value, "isoformat"):
                value = None if str(value) == "NaT" else value.isoformat()
            elif isinstance(value, float) and math.isnan(value) and not key.startswith("metrics."):
                value = None  # a run without this column
            clean[key] = _json_safe(value)
        records.append(clean)
    if output_format == "table":
        shown = ["run_id", "experiment", "name", "kind", "status", "start_time", "duration_s"]
        shown += [c for c in frame.columns if c.startswith(("params.", "metrics."))]
        for record in records:
            record["start_time"] = (record["start_time"] or "")[:19]
        emit(records, output_format, shown)
    else:
        emit(records, output_format, list(frame.columns))


@runs_group.command("show")
@click.argument("run_id")
@FORMAT_OPTION
def runs_show(run_id: str, output_format: str) -> None:
    """Everything recorded about one run (a unique id prefix is enough)."""
    from mlops_jupyter.tracking.query import get_run  # noqa: PLC0415 - start-up

    view = get_run(run_id).to_dict()
    view["start_time"], view["end_time"] = _iso(view["start_time"]), _iso(view["end_time"])
    view["metrics"] = {k: _json_safe(v) for k, v in view["metrics"].items()}
    if output_format == "json":
        click.echo(json.dumps(view, indent=2, default=str))
        return
    click.echo(f"run {view['run_id']}  {view['name'] or ''}")
    for key in (
        "experiment",
        "kind",
        "status",
        "attempt",
        "parent_run_id",
        "start_time",
        "end_time",
        "duration_s",
        "user",
    ):
        click.echo(f"  {key:<14}{view[key]}")
    for section in ("params", "metrics", "tags"):
        if view[section]:
            click.echo(f"{section}:")
            for key, value in sorted(view[section].items()):
                click.echo(f"  {key:<24}{value!r}")
    for role in ("inputs", "outputs"):
        for item in view[role]:
            click.echo(
                f"{role[:-1]}: {item.get('uri') or item['node_id']}  {str(item.get('fingerprint') or '')[:16]}"
            )
    if view["artifacts"]:
        click.echo("artifacts:")
        for artifact in view["artifacts"]:
            click.echo(
                f"  {artifact['name']:<30}{artifact['size']:>12} B  {artifact['digest'][:16]}"
            )
    if view["error"]:
        click.echo("error:\n" + view["error"])


@runs_group.command("reap")
def runs_reap() -> None:
    """Record as killed the running runs whose process is gone.

    \b
    A run whose process died (same host: the pid is gone; other hosts: no heartbeat for 30 s)
    already reads as killed everywhere; this writes that verdict to the store, as the
    background flusher of any tracking process and the Jupyter server extension do
    periodically. Prints the ids it marked.
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.context import reap_dead_runs  # noqa: PLC0415 - start-up

    dead = reap_dead_runs(get_store())
    for run_id in dead:
        click.echo(run_id)
    click.echo(f"{len(dead)} run(s) marked killed", err=True)


@click.group("store")
def store_group() -> None:
    """Where the store is, and its schema."""


@store_group.command("info")
@FORMAT_OPTION
def store_info(output_format: str) -> None:
    """Location, schema version and row counts."""
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up

    store = get_store()
    info = {
        "database": store.location.db_url,
        "artifact_root": store.location.artifacts_url,
        "found": store.location.origin,
        "schema_version": store.db.schema_version(),
        **store.runs.counts(),
    }
    if output_format == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            click.echo(f"{key:<16}{value}")


@store_group.command("fsck")
@FORMAT_OPTION
def store_fsck(output_format: str) -> None:
    """Verify every artifact blob against its hash; name the artifacts and model versions whose
    blob is missing or corrupt. Exit code 1 when anything is.

    \b
    A corrupt blob heals when the same bytes are logged again; `gc` removes unreferenced ones.
    Example:
      mlops-jupyter store fsck --format json
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.maintenance import fsck  # noqa: PLC0415 - start-up

    report = fsck(get_store())
    if output_format == "json":
        click.echo(json.dumps(report.broken, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
        verdict = "ok" if report.ok else f"{len(report.lines())} problem(s)"
        click.echo(f"checked {report.blobs} blob(s): {verdict}", err=not report.ok)
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)


@store_group.command("migrate")
def store_migrate() -> None:
    """Upgrade the schema to the newest version (opening a store does this too)."""
    from mlops_jupyter.config import resolve_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.database import Database  # noqa: PLC0415 - start-up

    before, after = Database(resolve_store()).migrate()
    click.echo(
        f"schema {before or '(empty)'} -> {after}"
        if before != after
        else f"schema already at {after}"
    )


# -- store grant (issue 9: database roles on a PostgreSQL team store) ----------------------------
@store_group.command("grant")
@click.argument("role")
@click.option(
    "--role",
    "level",
    required=True,
    type=click.Choice(["reader", "writer", "approver", "admin"]),
    help="What ROLE may do (each level includes the ones before it).",
)
@click.option("--show-sql", is_flag=True, help="Print the statements that were run.")
def store_grant(role: str, level: str, show_sql: bool) -> None:
    """Give the PostgreSQL role ROLE exactly one level of access to this store (replacing what
    it had). Run it as the store's owner, again after `store migrate`.

    \b
    reader    read runs, models, the audit log
    writer    + track runs and register versions, request approval
    approver  + approve and reject, promote, roll back, archive
    admin     + change a model's policy
    Nobody but the owner can change or delete audit events. Registry actions of ROLE are
    recorded as ROLE (its session_user): MLOPS_JUPYTER_USER cannot act as someone else.

    \b
    Example:  CREATE ROLE alice LOGIN;   (in psql, as the owner)
              mlops-jupyter store grant alice --role approver
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.access import grant  # noqa: PLC0415 - start-up

    try:
        statements = grant(get_store().db, role, level)
    except PermissionError as error:
        fail(str(error), EXIT_CHECK_FAILED)
    except ValueError as error:
        fail(str(error))
    if show_sql:
        for statement in statements:
            click.echo(f"{statement};")
    click.echo(f"granted {level} on this store to database role {role}")


@click.command("gc")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@click.option(
    "--grace",
    default="1h",
    show_default=True,
    metavar="DURATION",
    help="Keep blobs written or re-used within this time (e.g. 0, 90s, 30m, 1h, 2d): a run may "
    "be about to record them.",
)
def gc_command(dry_run: bool, grace: str) -> None:
    """Remove artifact blobs that no run or model version refers to.

    A blob younger than the grace period is kept, and one that something starts to refer to
    while gc runs survives, so gc is safe to run while notebooks are logging.

    \b
    Examples:
      mlops-jupyter gc --dry-run
      mlops-jupyter gc --grace 10m
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.maintenance import collect_garbage, parse_duration  # noqa: PLC0415 - start-up

    try:
        grace_s = parse_duration(grace)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--grace") from None
    click.echo(collect_garbage(get_store(), grace_s, dry_run).summary())
