"""``mlops-jupyter serve NAME@ALIAS`` (start a model server) and ``serve ls`` (live servers).

Exit codes: 0 stopped cleanly; 2 bad input (unknown model, alias or version, a port in use, a
bad option value).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, EXIT_USAGE, FORMAT_OPTION, emit, fail
from mlops_jupyter.serve.settings import (
    DEFAULT_MAX_BODY,
    DEFAULT_PORT,
    SETTINGS_ENV,
    TOKEN_ENV,
    ServeSettings,
)

# Start-up: `mlops-jupyter --help` imports this module (click asks every verb for its help), so
# this package's modules (the registry, the store, model loading, uvicorn) are imported inside the
# commands that use them.

_SIZE_UNITS = {"": 1, "b": 1, "kb": 1024, "k": 1024, "mb": 1024**2, "m": 1024**2, "gb": 1024**3}


def _size(text: str) -> int:
    raw = text.strip().lower()
    digits = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(digits) :]
    if not digits or unit not in _SIZE_UNITS:
        raise click.BadParameter(f"{text!r} is not a size like 20MB, 512kb or 1048576")
    return int(float(digits) * _SIZE_UNITS[unit])


class ServeGroup(click.Group):
    """``serve NAME@ALIAS ...`` runs ``serve start``; ``serve ls`` lists live servers."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["start", *args]
        return super().parse_args(ctx, args)


@click.group("serve", cls=ServeGroup)
def serve_group() -> None:
    """Serve a registered model over HTTP, following an alias without downtime.

    \b
    `serve NAME@ALIAS` starts a server (same as `serve start NAME@ALIAS`); `serve ls` lists the
    live servers recorded in the store. See `mlops-jupyter serve start --help` for the options.

    \b
    Examples:
      mlops-jupyter serve churn@production --port 5000
      mlops-jupyter serve churn@production --workers 2 --token "$TOKEN"
      mlops-jupyter serve churn@production --pin 3
      mlops-jupyter serve ls --format json
    """


@serve_group.command("start")
@click.argument("reference", metavar="NAME@ALIAS")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (loopback by default; anything else should have --token).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="TCP port.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; every worker follows the alias on its own.",
)
@click.option(
    "--pin",
    "pin",
    type=click.IntRange(1),
    default=None,
    metavar="VERSION",
    help="Serve this version and do not follow the alias.",
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    help=f"Bearer token required on /invocations (also ${TOKEN_ENV}).",
)
@click.option(
    "--max-body",
    "max_body",
    default=str(DEFAULT_MAX_BODY),
    show_default=True,
    help="Largest request body accepted (413 beyond), e.g. 20MB.",
)
@click.option(
    "--poll",
    "poll_seconds",
    type=click.FloatRange(0.05, 3600),
    default=1.0,
    show_default=True,
    help="Seconds between two reads of the alias.",
)
@click.option(
    "--log-predictions",
    "log_predictions",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    metavar="RATE",
    help="Fraction of requests whose rows are logged to the store (for mj.log_outcomes and performance checks).",
)
@click.option(
    "--heartbeat",
    "heartbeat_seconds",
    type=click.FloatRange(0.1, 600),
    default=5.0,
    show_default=True,
    help="Seconds between two records of this server in the store (serve ls).",
)
def start_command(
    reference: str,
    host: str,
    port: int,
    workers: int,
    pin: int | None,
    token: str | None,
    max_body: str,
    poll_seconds: float,
    log_predictions: float,
    heartbeat_seconds: float,
) -> None:
    """Serve NAME@ALIAS (or NAME/VERSION) at http://HOST:PORT until Ctrl-C.

    \b
    POST /invocations  JSON {"dataframe_records": [...]}, {"dataframe_split": {...}},
                       {"instances": [...]} or CSV; answers {"predictions": [...]}.
                       Inputs are checked against the version's signature: a 400 names
                       every missing, extra or mistyped column.
    GET  /health       200 once a version is loaded
    GET  /version      name, version, alias, signature, loaded_at, error
    GET  /metrics      Prometheus text: requests, errors, latency, rows, CPU per version
    Every response has the header MLOps-Model-Version; /invocations also MLOps-Request-Id.

    \b
    When the alias moves (promote, rollback) each worker loads the new version in the
    background, checks its SHA-256 against the registry, and swaps it in between requests;
    a version that fails to load is reported at /version and the old one keeps serving.
    If the store goes away the loaded version keeps serving; following resumes when it returns.
    """
    from mlops_jupyter.registry.errors import RegistryError  # noqa: PLC0415 - start-up
    from mlops_jupyter.registry.names import parse_model_uri  # noqa: PLC0415 - start-up
    from mlops_jupyter.store import get_store  # noqa: PLC0415 - start-up
    from mlops_jupyter.store.ids import new_id  # noqa: PLC0415 - start-up

    try:
        ref = parse_model_uri(reference)
        store = get_store()
        settings = ServeSettings(
            name=ref.name,
            alias=ref.alias,
            pin=pin if pin is not None else ref.version,
            host=host,
            port=port,
            workers=workers,
            server_id=new_id(),
            poll_seconds=poll_seconds,
            heartbeat_seconds=heartbeat_seconds,
            max_body_bytes=_size(max_body),
            log_predictions=log_predictions,
            token=token,
        )
        from mlops_jupyter.serve.follower import ModelHolder  # noqa: PLC0415 - start-up

        ModelHolder(settings, store).resolve()  # unknown model, alias or version: exit 2 now
        if settings.pin is not None:
            from mlops_jupyter.registry.versions import require_version  # noqa: PLC0415 - start-up

            store.registry.read(lambda tx: require_version(tx, ref.name, settings.pin or 0))
    except (RegistryError, click.BadParameter) as error:
        fail(str(error), EXIT_USAGE)
    _check_port(host, port)
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        click.echo(
            f"warning: listening on {host} without --token: anyone who reaches it can predict",
            err=True,
        )
    run(settings)


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            fail(f"cannot listen on {host}:{port}: {error.strerror or error}", EXIT_USAGE)


def run(settings: ServeSettings) -> None:
    """Run uvicorn with ``settings`` in this process (and N worker processes)."""
    import uvicorn  # noqa: PLC0415 - start-up

    os.environ[SETTINGS_ENV] = settings.to_env()
    if settings.token:
        os.environ[TOKEN_ENV] = settings.token
    # uvicorn re-raises the stop signal after its graceful shutdown: a SIGTERM (service
    # managers, `kill`) then ends the process with exit code 0 instead of dying by the signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    metrics_dir = None
    if settings.workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="mlops-serve-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "mlops_jupyter.serve.app:app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    sys.exit(0)


@serve_group.command("ls")
@click.argument("name", required=False)
@FORMAT_OPTION
def ls_command(name: str | None, output_format: str) -> None:
    """Live model servers (a heartbeat in the last 30 s), optionally of model NAME.

    \b
    JSON fields: server_id, url, model, alias, version, heartbeat, plus versions (during a
    swap), workers, pinned, requests, request_rate, p50_ms, p95_ms, error, host.
    """
    from mlops_jupyter.serve.servers import list_servers  # noqa: PLC0415 - start-up

    records: list[dict[str, Any]] = [server.to_dict() for server in list_servers(name)]
    emit(
        records,
        output_format,
        columns=[
            "server_id", "url", "model", "alias", "version", "heartbeat", "versions",
            "workers", "pinned", "requests", "request_rate", "p50_ms", "p95_ms", "error", "host",
        ],
    )  # fmt: skip


@serve_group.command("check")
@click.argument("url")
@click.option(
    "--version",
    "expect",
    type=click.IntRange(1),
    default=None,
    help="Wait until the server serves this version (default: whatever it serves).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0, 3600),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the server (and the version).",
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    default=None,
    help=f"Bearer token for /invocations (also ${TOKEN_ENV}).",
)
def check_command(url: str, expect: int | None, timeout: float, token: str | None) -> None:
    """Smoke-test the live server at URL: wait until it is healthy (and serves VERSION), then
    predict the served version's input example from the registry and check the answer names
    that version. Exit 0 when it does, 1 when not within --timeout (a release pipeline's last
    step; roll back on 1).

    \b
    Example:
      mlops-jupyter serve check http://127.0.0.1:5000 --version 4 --timeout 30
    """
    from mlops_jupyter.serve.client import SmokeError, smoke_test  # noqa: PLC0415 - start-up

    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            report = smoke_test(url, expect=expect, token=token)
        except SmokeError as error:
            last = str(error)
        else:
            click.echo(report)
            return
        if time.monotonic() >= deadline:
            fail(f"{url}: {last}", EXIT_CHECK_FAILED)
        time.sleep(0.25)
