"""Webhook delivery latency on loopback: from the commit of a registry change to the receiver.

Side by side, in one run, alternating, against one receiver on 127.0.0.1:
  anchor   a bare signed POST of the same body (no store): the floor of any delivery;
  server   a deliverer thread in the process that makes the change (the Jupyter server case:
           the commit wakes it);
  other    a deliverer in another process (`hooks deliver --follow --poll P`, the kernel/CLI
           case: it sees the event at its next poll).
Changes are `request_approval` (timed) then `reject` (after the delivery) on one version, so each
sample is one `approval.requested` event (no model fitting in the loop). Latency = receive time minus the
event's commit time (both wall clock, same machine). Medians and p90 in milliseconds. Before
each change in the other-process case a random pause desynchronizes it from the poll.

Usage: python benchmarks/bench_webhooks.py [--events 20] [--poll 0.5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="measure on a PostgreSQL store: a fresh schema in this database "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    os.environ["MLOPS_JUPYTER_STORE"] = str(folder / "store")
    schema = None
    if args.postgres:
        from sqlalchemy import create_engine, text

        schema = f"bench_webhooks_{os.getpid()}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        os.environ["MLOPS_JUPYTER_STORE"] = f"{args.postgres}?options=-csearch_path%3D{schema}"
        os.environ["MLOPS_JUPYTER_ARTIFACTS"] = str(folder / "artifacts")
    os.environ["MLOPS_JUPYTER_USER"] = "alice"
    os.chdir(folder)

    from governance.receiver import Receiver
    from registry_support import train_and_register
    from standardwebhooks.webhooks import Webhook

    import mlops_jupyter as mj
    from mlops_jupyter.registry.delivery import Deliverer, RetryPolicy, post, signed_request
    from mlops_jupyter.registry.events import Event, list_events
    from mlops_jupyter.registry.webhooks import add_hook, new_secret, remove_hook

    receiver = Receiver().start()
    secret = new_secret()
    train_and_register("bench")
    verifier = Webhook(secret)

    def cycle() -> Event:
        mj.request_approval("bench", 1)
        return list_events(types=["approval.requested"], newest_first=True, limit=1)[0]

    def reset() -> None:  # after the delivery, so it does not compete for the write lock
        mj.reject("bench", 1, "again", actor="bob")

    def wait_for(event_id: str, timeout: float = 30.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for received in receiver.accepted():
                if received.headers.get("webhook-id") == event_id:
                    verifier.verify(received.body, received.headers)
                    return received.at
            time.sleep(0.002)
        raise TimeoutError(f"event {event_id} never arrived")

    results: dict[str, list[float]] = {"anchor": [], "server": [], "other": []}
    # anchor: a signed POST of an event body, timed from just before signing
    sample = list_events(limit=1)[0]
    # server: a deliverer thread in this process
    hook = add_hook(receiver.url, secret=secret, events="approval.requested").hook
    in_process = Deliverer(policy=RetryPolicy(), poll=args.poll).start()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    other = None
    try:
        for index in range(args.events):
            started = time.time()
            body, headers = signed_request(sample, secret, "standard")
            post(receiver.url, body, headers, 5)
            results["anchor"].append((receiver.accepted()[-1].at - started) * 1000)
            event = cycle()
            results["server"].append((wait_for(event.event_id) - event.at) * 1000)
            reset()
            print(f"\r{index + 1}/{args.events} in-process", end="", file=sys.stderr)
        in_process.close()
        other = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlops_jupyter.cli",
                "hooks",
                "deliver",
                "--follow",
                "--poll",
                str(args.poll),
            ],
            env=env,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(3)  # its import and first pass
        for index in range(args.events):
            time.sleep(random.uniform(0, args.poll))  # not in step with the other's poll
            event = cycle()
            results["other"].append((wait_for(event.event_id) - event.at) * 1000)
            reset()
            print(f"\r{index + 1}/{args.events} other process", end="", file=sys.stderr)
    finally:
        in_process.close()
        if other is not None:
            other.terminate()
            other.wait(10)
        remove_hook(hook.hook_id)
        receiver.stop()
        if schema is not None:
            from mlops_jupyter.store import reset_stores

            reset_stores()
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print(file=sys.stderr)
    backend = "PostgreSQL" if schema else "SQLite"
    print(
        f"webhook latency, commit -> receiver on loopback, {backend} store "
        f"({args.events} events each, ms)"
    )
    print(f"{'path':<40}{'median':>10}{'p90':>10}")
    labels = {
        "anchor": "anchor: bare signed POST (no store)",
        "server": "deliverer in the changing process",
        "other": f"deliverer in another process (poll {args.poll:g} s)",
    }
    for key, values in results.items():
        print(f"{labels[key]:<40}{statistics.median(values):>10.1f}{_p90(values):>10.1f}")
    anchor = statistics.median(results["anchor"])
    print(
        f"ratio to the anchor: in-process {statistics.median(results['server']) / anchor:.1f}x, "
        f"other process {statistics.median(results['other']) / anchor:.1f}x"
    )


if __name__ == "__main__":
    main()
