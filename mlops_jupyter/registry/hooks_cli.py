"""CLI verbs of webhooks: ``hooks add|ls|rm|log|deliver|retry|prune|keygen``.

Exit codes: 0 done; 1 ``hooks deliver`` left deliveries pending or failed, or the store's
database role may not prune; 2 bad input (unknown hook or event type, invalid URL, secret or
duration).
"""

from __future__ import annotations

import contextlib
import json
import time

import click

from mlops_jupyter.cli import EXIT_CHECK_FAILED, FORMAT_OPTION, emit
from mlops_jupyter.registry.cli_support import iso_time, registry_errors


@click.group("hooks")
def hooks_group() -> None:
    """Webhooks: signed, retried, ordered delivery of governance events.

    Events (model.registered, approval.requested, version.approved, version.rejected,
    alias.promoted, alias.rolled_back, version.archived, gate.failed, check.failed) are written
    in the same transaction as the change, so none is lost; a deliverer posts them to every
    subscriber, signed per Standard Webhooks (webhook-id, webhook-timestamp,
    webhook-signature), retrying with exponential backoff until the receiver answers 2xx.
    The Jupyter server extension runs a deliverer; headless setups run `hooks deliver --follow`.

    \b
    Examples:
      mlops-jupyter hooks add https://ci.example/hook --events approval.requested,gate.failed
      mlops-jupyter hooks add https://hooks.slack.com/services/... --template slack --model churn
      mlops-jupyter hooks ls
      mlops-jupyter hooks deliver --follow
      mlops-jupyter hooks log --hook 01jx...
      mlops-jupyter hooks prune --older-than 30d
    """


@hooks_group.command("add")
@click.argument("url")
@click.option(
    "--events",
    help="Comma-separated event types (default: every type).",
)
@click.option("--model", help="Only this model's events.")
@click.option(
    "--secret",
    help="A whsec_... signing secret (default: a new one, printed once).",
)
@click.option(
    "--template",
    type=click.Choice(["standard", "slack", "teams"]),
    default="standard",
    show_default=True,
    help="standard: the signed event JSON; slack/teams: a chat message payload.",
)
@FORMAT_OPTION
@registry_errors
def hooks_add(
    url: str,
    events: str | None,
    model: str | None,
    secret: str | None,
    template: str,
    output_format: str,
) -> None:
    """Subscribe URL to governance events. The signing secret is printed once: keep it for the
    receiver's verifier; it is stored encrypted and never shown again."""
    from mlops_jupyter.registry.webhooks import add_hook  # noqa: PLC0415 - start-up: sqlalchemy (via registry.webhooks) loads on first use, not on --help

    created = add_hook(url, events=events, model=model, secret=secret, template=template)
    if output_format == "json":
        click.echo(json.dumps({**created.hook.to_dict(), "secret": created.secret}, indent=2))
        return
    hook = created.hook
    click.echo(f"added webhook {hook.hook_id} -> {hook.url}")
    click.echo(f"  events   {', '.join(hook.events) or 'all'}")
    click.echo(f"  model    {hook.model or 'all'}")
    click.echo(f"  template {hook.template}")
    if secret is None:
        click.echo(f"  secret   {created.secret}   (shown only now)")


@hooks_group.command("ls")
@click.option("--all", "include_inactive", is_flag=True, help="Include removed hooks.")
@FORMAT_OPTION
@registry_errors
def hooks_ls(include_inactive: bool, output_format: str) -> None:
    """List subscribers (never their secrets)."""
    from mlops_jupyter.registry.webhooks import list_hooks  # noqa: PLC0415 - start-up: sqlalchemy (via registry.webhooks) loads on first use, not on --help

    records = []
    for hook in list_hooks(include_inactive=include_inactive):
        record = hook.to_dict()
        record["created_at"] = iso_time(hook.created_at)
        if output_format != "json":
            record["events"] = ",".join(hook.events) or "all"
            record["model"] = hook.model or "all"
        records.append(record)
    emit(records, output_format, ["hook_id", "url", "events", "model", "template", "active"])


@hooks_group.command("rm")
@click.argument("hook_id")
@registry_errors
def hooks_rm(hook_id: str) -> None:
    """Remove a subscriber; its pending deliveries are cancelled."""
    from mlops_jupyter.registry.webhooks import remove_hook  # noqa: PLC0415 - start-up: sqlalchemy (via registry.webhooks) loads on first use, not on --help

    cancelled = remove_hook(hook_id)
    click.echo(f"removed webhook {hook_id} ({cancelled} pending deliveries cancelled)")


@hooks_group.command("log")
@click.option("--hook", "hook_id", help="Only this hook's deliveries.")
@click.option(
    "--status",
    type=click.Choice(["pending", "delivered", "failed", "cancelled"]),
    help="Only deliveries in this state.",
)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True)
@FORMAT_OPTION
@registry_errors
def hooks_log(hook_id: str | None, status: str | None, limit: int, output_format: str) -> None:
    """The delivery log, newest first: every try with its response code or error."""
    from mlops_jupyter.registry.webhooks import delivery_log  # noqa: PLC0415 - start-up: sqlalchemy (via registry.webhooks) loads on first use, not on --help

    entries = delivery_log(hook_id=hook_id, status=status, limit=limit)
    if output_format == "json":
        click.echo(
            json.dumps(
                entries, indent=2, default=lambda v: v.decode() if isinstance(v, bytes) else str(v)
            )
        )
        return
    records = []
    for entry in entries:
        tries = " ".join(
            str(t["status_code"]) if t["status_code"] is not None else "ERR" for t in entry["tries"]
        )
        records.append(
            {
                "delivery": entry["delivery_id"],
                "event": f"#{entry['seq']} {entry['type']}",
                "model": entry["model"] or "-",
                "url": entry["url"],
                "status": entry["status"],
                "tries": tries or "-",
                "last_error": entry["last_error"] or "",
            }
        )
    emit(records, output_format)


@hooks_group.command("deliver")
@click.option("--follow", "-f", is_flag=True, help="Keep delivering new events until Ctrl-C.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=0.5,
    show_default=True,
    help="Seconds between looks for new events (with --follow).",
)
@click.option(
    "--base-delay",
    type=click.FloatRange(min=0.0),
    default=2.0,
    show_default=True,
    help="First retry delay in seconds; it doubles at every failed try.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1),
    default=12,
    show_default=True,
    help="Tries before a delivery is marked failed (`hooks retry` revives it).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@registry_errors
def hooks_deliver(
    follow: bool, poll: float, base_delay: float, max_attempts: int, timeout: float
) -> None:
    """Deliver pending events now (or keep doing so with --follow). Safe to run beside the
    Jupyter server's deliverer: each delivery is leased to one deliverer at a time."""
    from mlops_jupyter.registry.delivery import Deliverer, RetryPolicy  # noqa: PLC0415 - start-up: sqlalchemy (via registry.delivery) loads on first use, not on --help

    policy = RetryPolicy(
        base_delay=base_delay,
        max_attempts=max_attempts,
        timeout=timeout,
        lease=max(60.0, timeout * 3),
    )
    deliverer = Deliverer(policy=policy, poll=poll)
    try:
        if follow:
            click.echo("delivering webhooks; Ctrl-C to stop", err=True)
            with contextlib.suppress(KeyboardInterrupt):
                deliverer.follow()
            click.echo(f"delivered {deliverer.delivered} event(s)")
            return
        delivered = deliverer.run_once()
        waiting = deliverer.store.webhooks.next_due_at()
    finally:
        deliverer.close()
    click.echo(f"delivered {delivered} event(s)")
    if waiting is not None:
        when = "now" if waiting <= time.time() else f"at {iso_time(waiting)}"
        click.echo(f"deliveries still pending (next try {when}); see `mlops-jupyter hooks log`")
        raise SystemExit(EXIT_CHECK_FAILED)


@hooks_group.command("retry")
@click.option("--hook", "hook_id", help="Only this hook's deliveries.")
@registry_errors
def hooks_retry(hook_id: str | None) -> None:
    """Give deliveries that ran out of attempts a fresh start."""
    from mlops_jupyter.registry.webhooks import retry_failed  # noqa: PLC0415 - start-up: sqlalchemy (via registry.webhooks) loads on first use, not on --help

    click.echo(f"{retry_failed(hook_id)} failed deliveries queued again")


@hooks_group.command("prune")
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="DURATION",
    help="Remove events written longer ago than this (e.g. 30d, 12h, 90m).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@registry_errors
def hooks_prune(older_than: str, dry_run: bool) -> None:
    """Remove old events that every subscriber received, with their deliveries and delivery log.

    Events with a pending delivery, or a failed one to a current hook (`hooks retry` may still
    send it), are kept, and so is the newest event. Pruned events no longer appear in `hooks log` nor as notifications.
    Run it from cron to bound the outbox; on a PostgreSQL team store, as the store's owner.
    """
    from mlops_jupyter.registry.events import prune_events  # noqa: PLC0415 - start-up: sqlalchemy (via registry.events) loads on first use, not on --help
    from mlops_jupyter.store.maintenance import parse_duration  # noqa: PLC0415 - start-up: sqlalchemy (via store.maintenance) loads on first use, not on --help

    try:
        seconds = parse_duration(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    click.echo(prune_events(seconds, dry_run=dry_run).summary())


@hooks_group.command("keygen")
def hooks_keygen() -> None:
    """Print a new key for MLOPS_JUPYTER_SECRET_KEY (encrypts webhook secrets; every process
    that delivers for a team store needs the same one)."""
    from cryptography.fernet import Fernet  # noqa: PLC0415 - start-up: cryptography is imported on first use

    click.echo(Fernet.generate_key().decode())
