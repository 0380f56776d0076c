"""Model server speed, side by side with ``mlflow models serve`` on the same model in one run.

Both servers serve the same fitted Ridge (scikit-learn's diabetes data, 10 float columns) on
loopback: ours from the registry (``mlops-jupyter serve NAME@ALIAS``), MLflow's from the same
estimator saved with ``mlflow.sklearn.save_model`` (signature and input example, so both check
inputs), ``--env-manager local``, one worker each. Measures:
  1. latency of one-row ``dataframe_split`` requests from one keep-alive client: p50 and p95
     (blocks of requests alternate between the servers, so machine load hits both alike);
  2. throughput with 4 concurrent clients (4 processes, one keep-alive connection each): req/s,
     alternating servers, median of the rounds;
  3. swap time: from ``mj.promote`` (the alias move) to the first response computed by the new
     version (a client polling /invocations), default ``--poll 1``; median and max.
Targets (issue 13): p50 <= 3 ms, p95 <= 5 ms, throughput >= 2x MLflow's, swap <= 2 s.

Usage: python benchmarks/bench_serve.py [--latency 600] [--seconds 4] [--rounds 2] [--swaps 5]
Needs mlflow (the `bench` extra).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_up(port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not come up in {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body: bytes) -> tuple[int, str | None]:
        self.connection.request(
            "POST", "/invocations", body=body, headers={"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        response.read()
        return response.status, response.getheader("MLOps-Model-Version")


def latency_ms(
    ports: dict[str, int], body: bytes, total: int, block: int = 50
) -> dict[str, list[float]]:
    clients = {name: Client(port) for name, port in ports.items()}
    for client in clients.values():  # warm-up
        for _ in range(20):
            client.post(body)
    timings: dict[str, list[float]] = {name: [] for name in ports}
    for _ in range(max(1, total // block)):
        for name, client in clients.items():
            for _ in range(block):
                started = time.perf_counter()
                status, _ = client.post(body)
                timings[name].append((time.perf_counter() - started) * 1000)
                assert status == 200, (name, status)
    return timings


def _load_worker(port: int, body: bytes, seconds: float, start_at: float, out: Any) -> None:
    client = Client(port)
    while time.time() < start_at:
        time.sleep(0.001)
    done = failed = 0
    deadline = start_at + seconds
    while time.time() < deadline:
        status, _ = client.post(body)
        if status == 200:
            done += 1
        else:
            failed += 1
    out.put((done, failed))


def throughput(port: int, body: bytes, seconds: float, clients: int = 4) -> float:
    queue: Any = multiprocessing.Queue()
    start_at = time.time() + 0.5
    workers = [
        multiprocessing.Process(target=_load_worker, args=(port, body, seconds, start_at, queue))
        for _ in range(clients)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join()
    failed = sum(f for _, f in results)
    if failed:
        raise RuntimeError(f"{failed} failed requests on port {port}")
    return sum(d for d, _ in results) / seconds


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=600, help="one-row requests per server")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per throughput round")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds per server")
    parser.add_argument("--swaps", type=int, default=5, help="alias moves to time")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    os.environ["MLOPS_JUPYTER_STORE"] = str(work / "store")
    os.environ.setdefault("MLOPS_JUPYTER_USER", "bench")
    # MLflow starts `uvicorn` by name: the interpreter's bin directory goes first on PATH
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
    )
    sys.path.insert(0, str(REPO))
    import warnings

    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    import mlops_jupyter as mj

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    estimators = [Ridge(alpha=a).fit(X, y) for a in (1.0, 0.5, 0.1, 0.05, 0.01, 0.005)]
    for estimator in estimators:
        with mj.start_run("bench-serve"):
            mj.register_model(estimator, "bench", input_example=X.head())
    mj.promote("bench", 1, "staging")
    mlflow_dir = work / "mlflow-model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            estimators[0],
            str(mlflow_dir),
            signature=infer_signature(X, estimators[0].predict(X)),
            input_example=X.head(),
        )

    ours_port, mlflow_port = free_port(), free_port()
    ours = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlops_jupyter.cli",
            "serve",
            "bench@staging",
            "--port",
            str(ours_port),
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "ours.log", "w"),  # noqa: SIM115
    )
    theirs = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "models", "serve", "-m", str(mlflow_dir),
            "--env-manager", "local", "--host", "127.0.0.1", "--port", str(mlflow_port), "-w", "1",
        ],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "mlflow.log", "w"),  # noqa: SIM115
    )  # fmt: skip
    try:
        wait_up(ours_port, "/health", ours)
        wait_up(mlflow_port, "/ping", theirs)
        body = json.dumps(
            {"dataframe_split": json.loads(X.head(1).to_json(orient="split"))}
        ).encode()
        ports = {"mlops-jupyter": ours_port, "mlflow": mlflow_port}

        timings = latency_ms(ports, body, args.latency)
        print(f"one-row latency over {args.latency} sequential requests each (ms):")
        for name, values in timings.items():
            print(
                f"  {name:14s} p50 {statistics.median(values):6.2f}  p95 {quantile(values, 0.95):6.2f}"
            )

        rates: dict[str, list[float]] = {name: [] for name in ports}
        for _ in range(args.rounds):
            for name, port in ports.items():
                rates[name].append(throughput(port, body, args.seconds))
        ours_rate, their_rate = (statistics.median(rates[n]) for n in ports)
        print(f"throughput, 4 clients, {args.rounds} x {args.seconds:g} s each (req/s, median):")
        print(
            f"  mlops-jupyter  {ours_rate:7.1f}  rounds {[round(r) for r in rates['mlops-jupyter']]}"
        )
        print(f"  mlflow         {their_rate:7.1f}  rounds {[round(r) for r in rates['mlflow']]}")
        print(f"  ratio          {ours_rate / their_rate:7.2f}x  (target >= 2x)")

        swaps = []
        client = Client(ours_port)
        for target in range(2, min(args.swaps + 2, len(estimators) + 1)):
            moved = time.perf_counter()
            mj.promote("bench", target, "staging")
            while client.post(body)[1] != str(target):
                time.sleep(0.005)
            swaps.append(time.perf_counter() - moved)
        print(
            f"swap time, alias move -> first response by the new version (default --poll 1), "
            f"{len(swaps)} moves: median {statistics.median(swaps):.2f} s, max {max(swaps):.2f} s"
        )
    finally:
        stop(ours)
        stop(theirs)


if __name__ == "__main__":
    main()
