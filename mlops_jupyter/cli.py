"""The ``mlops-jupyter`` command (also ``jupyter mlops``).

The root group lists every verb; each verb's implementation lives with its practice and is
imported only when that verb runs, so ``mlops-jupyter --help`` stays fast.
Exit codes: 0 ok, 1 a check failed (gate, drift, reproduce, audit), 2 usage or input error.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2

# verb -> "module:attribute" of its click command or group
COMMANDS: dict[str, str] = {
    "runs": "mlops_jupyter.tracking.cli:runs_group",
    "store": "mlops_jupyter.tracking.cli:store_group",
    "gc": "mlops_jupyter.tracking.cli:gc_command",
    "lineage": "mlops_jupyter.tracking.lineage_cli:lineage_command",
    "models": "mlops_jupyter.registry.cli:models_group",
    "audit": "mlops_jupyter.registry.cli:audit_group",
    "export": "mlops_jupyter.registry.cli:export_group",
    "params": "mlops_jupyter.batch.cli:params_command",
    "run": "mlops_jupyter.batch.cli:run_command",
    "sweep": "mlops_jupyter.batch.cli:sweep_command",
    "reproduce": "mlops_jupyter.batch.cli:reproduce_command",
    # monitoring (issue 12)
    "monitor": "mlops_jupyter.monitor.cli:monitor_group",
    "retrain": "mlops_jupyter.monitor.cli:retrain_command",
    # governance wiring
    "hooks": "mlops_jupyter.registry.hooks_cli:hooks_group",
    # serving (issue 13)
    "serve": "mlops_jupyter.serve.cli:serve_group",
    # data versions (issue 11)
    "data": "mlops_jupyter.cli_data:data_group",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return super().get_command(ctx, name)
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print ``message`` on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def emit(
    records: Sequence[Mapping[Any, Any]], output_format: str, columns: list[str] | None = None
) -> None:
    """Print records as a table, CSV or a JSON list of objects."""
    if output_format == "json":
        click.echo(json.dumps(list(records), indent=2, default=str, allow_nan=True))
        return
    import pandas as pd  # noqa: PLC0415 - start-up: pandas only when a table is printed

    frame = pd.DataFrame.from_records(records, columns=columns)
    if output_format == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif frame.empty:
        click.echo("(nothing)")
    else:
        with pd.option_context(
            "display.max_columns", None, "display.width", 200, "display.max_colwidth", 40
        ):
            click.echo(frame.to_string(index=False))


FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people, csv or json (a list of objects) for programs.",
)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mlops-jupyter", prog_name="mlops-jupyter")
def cli() -> None:
    """MLOps where data scientists work: tracked notebook runs, batch sweeps, a model
    registry with approvals, monitoring — on a zero-configuration local store.

    \b
    The store is found like this: $MLOPS_JUPYTER_STORE (a directory, sqlite:///... or
    postgresql+psycopg://...), else the nearest .mlops/ above the current directory, else a
    new .mlops/ beside the nearest .git or pyproject.toml.

    \b
    Examples:
      mlops-jupyter runs ls --filter "metrics.acc > 0.9" --order-by "metrics.acc desc"
      mlops-jupyter runs show 01jx...
      mlops-jupyter store info
    """


def _error_exits() -> tuple[tuple[tuple[type[BaseException], ...], int], ...]:
    """This package's errors -> exit code: the input was wrong (2) or a check failed (1)."""
    # start-up: `mlops-jupyter --help` imports only this module and the verbs' own; the errors
    # live with the practices (SQLAlchemy, pandas behind some) and matter once a command failed
    from mlops_jupyter.config import StoreConfigError  # noqa: PLC0415 - start-up

    usage: tuple[type[BaseException], ...] = (StoreConfigError, OSError)
    checks: tuple[type[BaseException], ...] = ()
    try:
        from mlops_jupyter.batch.parameters import ParameterError  # noqa: PLC0415 - start-up
        from mlops_jupyter.monitor.checks import MonitorError  # noqa: PLC0415 - start-up
        from mlops_jupyter.monitor.drift import DriftInputError  # noqa: PLC0415 - start-up
        from mlops_jupyter.registry.errors import (  # noqa: PLC0415 - start-up
            RefusedError,
            RegistryError,
        )
        from mlops_jupyter.store.blobs import (  # noqa: PLC0415 - start-up
            ArtifactPathError,
            ArtifactRootError,
            CorruptArtifactError,
        )
        from mlops_jupyter.store.database import StoreConnectionError  # noqa: PLC0415 - start-up
        from mlops_jupyter.store.filters import FilterError  # noqa: PLC0415 - start-up
        from mlops_jupyter.tracking.profile import ProfileError  # noqa: PLC0415 - start-up
        from mlops_jupyter.tracking.query import RunNotFoundError  # noqa: PLC0415 - start-up
        from mlops_jupyter.tracking.values import InvalidValueError  # noqa: PLC0415 - start-up
    except ImportError:  # pragma: no cover - a broken install still gets click's messages
        pass
    else:
        usage += (
            StoreConnectionError,
            FilterError,
            RunNotFoundError,
            ParameterError,
            RegistryError,
            ArtifactPathError,
            ArtifactRootError,
            InvalidValueError,
            MonitorError,
            DriftInputError,
            ProfileError,
        )
        checks += (CorruptArtifactError, RefusedError)
    return ((checks, EXIT_CHECK_FAILED), (usage, EXIT_USAGE))


def main() -> None:
    """Entry point: the errors users cause become one line on stderr and exit code 2 (1 for a
    failed check, such as a corrupt artifact); only a bug shows a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_USAGE if error.exit_code != 0 else 0)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:
        for types, code in _error_exits():
            if isinstance(error, types):
                fail(
                    str(error).strip().splitlines()[0] if str(error).strip() else repr(error), code
                )
        raise


if __name__ == "__main__":
    main()
