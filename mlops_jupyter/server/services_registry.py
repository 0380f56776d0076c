"""The model registry for the REST API: models, versions, gate previews, registration and the
lifecycle actions (request approval, approve, reject, promote, rollback, archive).

The acting user of every action is passed in by the handler (the user jupyter_server
authenticated); the registry's rules decide, and its errors say why.
"""

from __future__ import annotations

from typing import Any

from mlops_jupyter.registry import api as registry
from mlops_jupyter.server.models import (
    DEFAULT_ALIAS,
    ActionRequest,
    ActionResult,
    AliasEvent,
    GateReport,
    ModelDetail,
    ModelList,
    ModelVersion,
    ModelVersionDetail,
    RegisterRequest,
)
from mlops_jupyter.server.serialize import json_safe
from mlops_jupyter.server.validation import ApiError
from mlops_jupyter.store import Store


def _version_data(version: registry.ModelVersion) -> dict[str, Any]:
    return json_safe({**version.to_dict(), "archived": version.archived})


def alias_event(change: registry.AliasChange) -> AliasEvent:
    return AliasEvent.model_validate(json_safe(change.to_dict()))


def list_models(store: Store) -> ModelList:
    models = registry.list_models(store=store)
    return ModelList.model_validate({"models": [json_safe(m.to_dict()) for m in models]})


def version_detail(store: Store, name: str, number: int) -> ModelVersionDetail:
    version = registry.get_version(name, number, store=store)
    history = registry.alias_history(name, store=store)
    moves = [
        alias_event(change)
        for change in history
        if number in (change.from_version, change.to_version)
    ]
    return ModelVersionDetail.model_validate({**_version_data(version), "alias_history": moves})


def model_detail(store: Store, name: str) -> ModelDetail:
    model = json_safe(registry.get_model(name, store=store).to_dict())
    versions = [
        ModelVersion.model_validate(_version_data(v))
        for v in registry.list_versions(name, store=store)
    ]
    history = [alias_event(c) for c in registry.alias_history(name, store=store)]
    return ModelDetail.model_validate({**model, "versions": versions, "alias_history": history})


def gates(store: Store, name: str, number: int, alias: str) -> GateReport:
    report = registry.check_gates(name, number, alias, store=store)
    return GateReport.model_validate(json_safe(report.to_dict()))


def register(store: Store, request: RegisterRequest, actor: str) -> ModelVersionDetail:
    version = registry.register_model(
        request.run_id, request.name, description=request.description, actor=actor, store=store
    )
    return version_detail(store, request.name, version.version)


def _rollback(
    store: Store, name: str, number: int, request: ActionRequest, actor: str
) -> registry.AliasChange:
    """Roll ``alias`` back, provided ``number`` still holds it: the caller acts on what it saw."""
    alias = request.alias or DEFAULT_ALIAS
    history = registry.alias_history(name, alias, store=store)
    if not history or history[-1].to_version != number:
        holder = f"version {history[-1].to_version}" if history else "no version"
        raise ApiError(
            409,
            f"{name}@{alias} is held by {holder}, not version {number}: reload and try again",
        )
    return registry.rollback(
        name,
        alias,
        reason=request.reason or request.comment,
        expected_revision=history[-1].revision,
        actor=actor,
        store=store,
    )


def act(
    store: Store, name: str, number: int, action: str, request: ActionRequest, actor: str
) -> ActionResult:
    """Carry out one lifecycle action as ``actor``; the version it leaves in place, and the move."""
    comment = request.comment
    change = None
    if action == "request-approval":
        registry.request_approval(name, number, comment, actor=actor, store=store)
    elif action == "approve":
        registry.approve(name, number, comment, actor=actor, store=store)
    elif action == "reject":
        registry.reject(name, number, comment, actor=actor, store=store)
    elif action == "archive":
        registry.archive(name, number, reason=request.reason or comment, actor=actor, store=store)
    elif action == "promote":
        change = registry.promote(
            name,
            number,
            request.alias or DEFAULT_ALIAS,
            force=request.force,
            reason=request.reason,
            actor=actor,
            store=store,
        )
    else:
        change = _rollback(store, name, number, request, actor)
        number = change.to_version
    return ActionResult(
        action=action,  # type: ignore[arg-type]
        actor=actor,
        version=version_detail(store, name, number),
        alias_change=alias_event(change) if change is not None else None,
    )
