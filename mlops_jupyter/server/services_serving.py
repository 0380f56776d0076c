"""Live model servers for the REST API: what each running ``mlops-jupyter serve`` reports in
its heartbeats, for the sidebar's Models section."""

from __future__ import annotations

from mlops_jupyter.serve.servers import list_servers
from mlops_jupyter.server.models import ModelServers, ServersQuery
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.store import Store


def live_servers(store: Store, query: ServersQuery) -> ModelServers:
    servers = list_servers(query.model, store=store)
    return ModelServers.model_validate({"servers": [json_safe(s.to_dict()) for s in servers]})
