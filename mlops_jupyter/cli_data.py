"""CLI verbs for data versions: ``data ls [URI]`` and ``data get URI@FINGERPRINT DEST``."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, FORMAT_OPTION, emit, fail

# Start-up: `mlops-jupyter --help` imports this module (click asks every verb for its help), so
# this package's modules (the store, data versions) are imported inside the commands that use them.


@click.group("data", context_settings={"help_option_names": ["-h", "--help"]})
def data_group() -> None:
    """Dataset versions: what runs read and wrote, and bringing a past version back.

    \b
    Every file a run reads (pandas readers, mj.log_input) is a dataset version: its uri and a
    content fingerprint. Input files are also snapshotted into the artifact store (policy
    auto: files up to 100 MB; change it with %config Track.snapshot_inputs, the environment
    variable MLOPS_JUPYTER_SNAPSHOT_INPUTS=auto|always|never, or run/sweep --snapshot-inputs).

    \b
    Examples:
      mlops-jupyter data ls
      mlops-jupyter data ls data/train.csv --format json
      mlops-jupyter data get data/train.csv@3f9a1c0b7d2e ./train-then.csv
    """


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat()


def _record(version: Any) -> dict[str, Any]:
    readers = sorted({run_id for run_id, role in version.runs if role == "input"})
    writers = sorted({run_id for run_id, role in version.runs if role == "output"})
    return {
        "uri": version.uri,
        "fingerprint": version.fingerprint,
        "rows": version.rows,
        "format": version.format,
        "created": _iso(version.created),
        "runs": sorted({run_id for run_id, _ in version.runs}),
        "read_by": readers,
        "written_by": writers,
        "snapshot": version.snapshot,
    }


def _runs_text(record: dict[str, Any]) -> str:
    parts = []
    if record["read_by"]:
        parts.append(f"read by {len(record['read_by'])}")
    if record["written_by"]:
        parts.append(f"written by {len(record['written_by'])}")
    return ", ".join(parts) or "-"


@data_group.command("ls")
@click.argument("uri", required=False)
@click.option(
    "--all",
    "include_memory",
    is_flag=True,
    help="Also list in-memory versions (memory://NAME: DataFrames and arrays of cells).",
)
@FORMAT_OPTION
def data_ls(uri: str | None, include_memory: bool, output_format: str) -> None:
    """List dataset versions, newest first: uri, fingerprint, rows, format, when, which runs
    read or wrote it, and whether a snapshot can bring it back.

    URI is a uri (file://..., s3://...) or a path; without it every file version is listed.
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.snapshots import data_versions  # noqa: PLC0415 - start-up

    records = [_record(v) for v in data_versions(get_store(), uri, include_memory=include_memory)]
    if output_format == "json":
        emit(records, output_format)
        return
    rows = [
        {
            "uri": r["uri"],
            "fingerprint": r["fingerprint"][:12],
            "rows": "" if r["rows"] is None else r["rows"],
            "format": r["format"] or "",
            "created": r["created"][:19].replace("T", " "),
            "runs": _runs_text(r),
            "snapshot": "yes" if r["snapshot"] else "no",
        }
        for r in records
    ]
    emit(
        rows,
        output_format,
        columns=["uri", "fingerprint", "rows", "format", "created", "runs", "snapshot"],
    )


@data_group.command("get")
@click.argument("version", metavar="URI@FINGERPRINT")
@click.argument("dest", type=click.Path())
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def data_get(version: str, dest: str, force: bool) -> None:
    """Restore a past dataset version from its snapshot into DEST (a file, or a folder to
    put it in under its own name). The bytes are verified against the blob's SHA-256 and the
    version's fingerprint before DEST is written; a mismatch writes nothing and exits 1.

    FINGERPRINT may be a unique prefix (6+ hex digits) of the one ``data ls`` shows.
    """
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.blobs import CorruptArtifactError  # noqa: PLC0415 - start-up
    from mlops_jupyter.tracking.snapshots import (  # noqa: PLC0415 - start-up
        DataVersionError,
        find_version,
        local_path,
        parse_version,
        restore,
    )

    store = get_store()
    try:
        uri, fingerprint = parse_version(version)
        found = find_version(store, uri, fingerprint)
    except DataVersionError as error:
        fail(str(error))
        return
    target = Path(dest)
    if target.is_dir():
        name = Path(local_path(found.uri) or found.uri.rstrip("/")).name or "data"
        target = target / name
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to replace it")
    label = f"{found.uri}@{found.fingerprint[:12]}"
    try:
        restore(store, found.fingerprint, target, label=label)
    except DataVersionError as error:
        fail(str(error))
    except CorruptArtifactError as error:
        fail(f"{label} not restored: {error}", EXIT_CHECK_FAILED)
    size = os.path.getsize(target)
    click.echo(f"restored {label} ({size} bytes, verified) to {target}")
