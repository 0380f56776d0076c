"""Monitoring checks for the REST API.

No monitoring module records checks yet, so the answer is the documented empty list whatever
the ``model``/``alias`` arguments; the sidebar's Monitoring section shows its empty state from it.
"""

from __future__ import annotations

from mlops_jupyter.server.models import MonitorChecks, MonitorQuery
from mlops_jupyter.store import Store


def list_checks(store: Store, query: MonitorQuery) -> MonitorChecks:
    return MonitorChecks(checks=[])
