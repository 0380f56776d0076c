"""A store filled with many synthetic finished runs, for query benchmarks (bulk-imported)."""

from __future__ import annotations

import json
import random
import time

from mlops_jupyter.store import Store
from mlops_jupyter.store.ids import new_id

MODELS = ("rf", "lr", "gb", "svm")


def fill_runs(store: Store, count: int, experiment: str = "bench", seed: int = 0) -> None:
    """Insert ``count`` runs with params model/lr/depth, metrics acc/loss and a tag, in batches."""
    rng = random.Random(seed)
    experiment_id = store.runs.experiment_id(experiment)
    start = time.time() - count
    for offset in range(0, count, 20_000):
        runs, params, latest, tags = [], [], [], []
        for index in range(offset, min(count, offset + 20_000)):
            run_id = new_id()
            began = start + index
            runs.append(
                {
                    "run_id": run_id,
                    "experiment_id": experiment_id,
                    "name": f"run-{index}",
                    "kind": "cell",
                    "status": "finished" if rng.random() > 0.05 else "failed",
                    "start_time": began,
                    "end_time": began + rng.random() * 10,
                }
            )
            model = rng.choice(MODELS)
            learning_rate = round(rng.uniform(0.001, 0.3), 4)
            for key, value in (
                ("model", model),
                ("lr", learning_rate),
                ("depth", rng.randint(2, 12)),
            ):
                number = None if isinstance(value, str) else float(value)
                text = value if isinstance(value, str) else json.dumps(value)
                params.append(
                    {
                        "run_id": run_id,
                        "key": key,
                        "value": json.dumps(value),
                        "num": number,
                        "text": text,
                    }
                )
            for key, value in (("acc", rng.random()), ("loss", rng.random() * 3)):
                latest.append(
                    {"run_id": run_id, "key": key, "value": value, "step": 0, "timestamp": began}
                )
            tags.append(
                {"run_id": run_id, "key": "team", "value": rng.choice(("vision", "nlp", "tabular"))}
            )
        store.runs.import_runs(runs, params, latest, tags)
