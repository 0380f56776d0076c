"""CLI verb ``lineage ID``: the lineage graph of a run, dataset or model version, as edges."""

from __future__ import annotations

import click

from mlops_jupyter.cli import FORMAT_OPTION, emit, fail

# Start-up: `mlops-jupyter --help` imports this module (click asks every verb for its help), so
# this package's modules (lineage: SQLAlchemy) are imported inside the commands that use them.


@click.command("lineage")
@click.argument("target")
@click.option(
    "--direction",
    "-d",
    type=click.Choice(["upstream", "downstream"]),
    default="upstream",
    show_default=True,
    help="upstream: what it was made from; downstream: what was made from it.",
)
@click.option(
    "--depth", type=click.IntRange(min=1), default=100, show_default=True, help="Levels to follow."
)
@FORMAT_OPTION
def lineage_command(target: str, direction: str, depth: int, output_format: str) -> None:
    """The lineage of TARGET: a run id (or unique prefix), a dataset id, uri or fingerprint, a
    file path, or a model version (models:/NAME/VERSION, models:/NAME@ALIAS).

    \b
    One row per edge: data flows from source to target; role is the run's view of it
    (input: the run read it, output: the run wrote it).
    Examples:
      mlops-jupyter lineage 01jx4k
      mlops-jupyter lineage data/train.csv --direction downstream
      mlops-jupyter lineage models:/churn@production --format json
    """
    from mlops_jupyter.tracking.lineage import LineageTargetError, lineage  # noqa: PLC0415 - start-up

    try:
        graph = lineage(target, direction, max_depth=depth)
    except LineageTargetError as error:
        fail(str(error))
        return
    records = graph.to_frame().to_dict(orient="records")
    if output_format == "table" and not records:
        click.echo(f"{graph.node(graph.roots[0]).label}: no recorded {direction} lineage")
        return
    emit(
        records,
        output_format,
        [
            "source_type",
            "source_label",
            "target_type",
            "target_label",
            "role",
            "name",
            "source",
            "target",
        ],
    )
