"""CLI verbs of model governance: ``models owners`` and ``models test`` (attached to the
``models`` group by ``registry/cli.py``).

Exit codes: 0 done; 1 ``models test`` found a problem (or the acting user may not change the
owners); 2 bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, FORMAT_OPTION, fail
from mlops_jupyter.registry.cli_support import TRUST_OPTION, registry_errors


# -- models owners / models test --------------------------------------------------------------------
@click.command("owners")
@click.argument("name")
@click.argument("owners", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove every owner (the creator is notified).")
@FORMAT_OPTION
@registry_errors
def models_owners(name: str, owners: tuple[str, ...], clear: bool, output_format: str) -> None:
    """Show NAME's owners, or set them: users, or group:NAME for a group (replaces the list;
    audited). Owners are named in the model's events; with `models policy NAME --approvers
    owners` only they may approve.

    \b
    Examples:
      mlops-jupyter models owners churn
      mlops-jupyter models owners churn alice bob group:risk-team
    """
    from mlops_jupyter.registry.owners import get_owners, set_owners  # noqa: PLC0415 - start-up: sqlalchemy (via registry.owners) loads on first use, not on --help

    if clear and owners:
        raise click.UsageError("use either OWNERS or --clear")
    result = set_owners(name, list(owners)) if owners or clear else get_owners(name)
    if output_format == "json":
        click.echo(json.dumps(result))
    else:
        click.echo(" ".join(result) if result else "(no owners set: the creator is notified)")


@click.command("test")
@click.argument("bundle_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--timeout", type=click.FloatRange(min=1), default=300.0, show_default=True)
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="Load a pickle-format bundle (runs whatever code the file holds).",
)
@TRUST_OPTION
@FORMAT_OPTION
@registry_errors
def models_test(
    bundle_dir: Path,
    timeout: float,
    trust_pickle: bool,
    trusted: tuple[str, ...],
    output_format: str,
) -> None:
    """Test a release bundle (from `models export`) before shipping it: in a fresh Python
    process that sees only a copy of the bundle's files, verify MANIFEST.sha256, load the
    model (skops: only skops' default types, the scikit-learn allowlist and --trust; the
    types release.json lists grant nothing), run input_example.json through
    predict and compare the output's shape and dtype with the signature. Exit 1 naming each
    failed check."""
    from mlops_jupyter.registry.bundle_test import check_bundle  # noqa: PLC0415 - start-up: mlops-jupyter --help imports every CLI module; this loads on first use

    report = check_bundle(bundle_dir, timeout=timeout, trust_pickle=trust_pickle, trusted=trusted)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for check in report.checks:
            mark = "ok  " if check["ok"] else "FAIL"
            click.echo(f"[{mark}] {check['name']}: {check['detail']}")
    if not report.ok:
        fail(f"bundle {bundle_dir} failed: {', '.join(report.failed())}", EXIT_CHECK_FAILED)
