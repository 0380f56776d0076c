"""REST end points for the model registry: models, versions, gate previews, registration and
the lifecycle actions (request approval, approve, reject, promote, rollback, archive).

The acting user of every action is the user jupyter_server authenticated
(``self.acting_user``); a ``user``/``actor`` field in a request body is ignored. Refusals by the
registry's rules (self-approval, an unapproved or gate-failing promotion, a moved alias) are
409 with the registry's message, as are actions the version's current state does not allow
(approving a rejected version, archiving one that holds an alias); malformed requests are 400;
unknown models or versions 404.
"""

from __future__ import annotations

from typing import Any

import tornado.web

from mlops_jupyter.registry import api as registry
from mlops_jupyter.server.openapi import MODEL_ACTIONS
from mlops_jupyter.server.rest import ErrorStatuses, StoreHandler
from mlops_jupyter.server.validation import (
    ApiError,
    check_text,
    json_body,
    positive_int,
    text_argument,
)
from mlops_jupyter.store import Store

DEFAULT_ALIAS = "production"
SUMMARY_EXCLUDED = {"card", "approvals", "input_example", "datasets", "trusted_types"}
DETAIL_EXCLUDED = {"reference_profile"}  # can be large; monitoring reads it through the API


def version_summary(version: registry.ModelVersion) -> dict[str, Any]:
    data = version.to_dict()
    data["archived"] = version.archived
    return {
        key: value for key, value in data.items() if key not in SUMMARY_EXCLUDED | DETAIL_EXCLUDED
    }


def alias_event(change: registry.AliasChange) -> dict[str, Any]:
    data = change.to_dict()
    data.pop("time", None)
    data.pop("name", None)
    return data


def version_detail(store: Store, name: str, number: int) -> dict[str, Any]:
    version = registry.get_version(name, number, store=store)
    data = version.to_dict()
    data["archived"] = version.archived
    history = registry.alias_history(name, store=store)
    data["alias_history"] = [
        alias_event(change)
        for change in history
        if number in (change.from_version, change.to_version)
    ]
    return {key: value for key, value in data.items() if key not in DETAIL_EXCLUDED}


def model_detail(store: Store, name: str) -> dict[str, Any]:
    model = registry.get_model(name, store=store).to_dict()
    model["versions"] = [version_summary(v) for v in registry.list_versions(name, store=store)]
    model["alias_history"] = [alias_event(c) for c in registry.alias_history(name, store=store)]
    return model


def register(
    store: Store, run_id: str, name: str, description: str | None, actor: str
) -> dict[str, Any]:
    version = registry.register_model(
        run_id, name, description=description, actor=actor, store=store
    )
    return version_detail(store, name, version.version)


def _rollback(
    store: Store, name: str, number: int, body: dict[str, Any], actor: str
) -> registry.AliasChange:
    """Roll ``alias`` back, provided ``number`` still holds it: the caller acts on what it saw."""
    alias = body.get("alias") or DEFAULT_ALIAS
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
        reason=body.get("reason") or body.get("comment"),
        expected_revision=history[-1].revision,
        actor=actor,
        store=store,
    )


def act(
    store: Store, name: str, number: int, action: str, body: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Carry out one lifecycle action as ``actor``; the version it leaves in place, and the move."""
    comment = body.get("comment")
    change = None
    if action == "request-approval":
        registry.request_approval(name, number, comment, actor=actor, store=store)
    elif action == "approve":
        registry.approve(name, number, comment, actor=actor, store=store)
    elif action == "reject":
        registry.reject(name, number, comment, actor=actor, store=store)
    elif action == "archive":
        registry.archive(
            name, number, reason=body.get("reason") or comment, actor=actor, store=store
        )
    elif action == "promote":
        change = registry.promote(
            name,
            number,
            body.get("alias") or DEFAULT_ALIAS,
            force=bool(body.get("force")),
            reason=body.get("reason"),
            actor=actor,
            store=store,
        )
    else:
        change = _rollback(store, name, number, body, actor)
        number = change.to_version
    return {
        "action": action,
        "actor": actor,
        "version": version_detail(store, name, number),
        "alias_change": alias_event(change) if change is not None else None,
    }


class RegistryHandler(StoreHandler):
    error_statuses: ErrorStatuses = (
        (registry.ModelNotFoundError, 404),
        (registry.UntrustedModelError, 422),  # a hostile or unknown model file
        (registry.RefusedError, 409),
        (PermissionError, 403),  # the database role may not do this (PostgreSQL grants)
        (registry.InvalidStateError, 409),  # the request is fine; the version's state is not
        (registry.RegistryError, 400),
        *StoreHandler.error_statuses,
    )


class ModelsHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        models = await self.in_store(lambda store: registry.list_models(store=store))
        self.reply({"models": [model.to_dict() for model in models]})

    @tornado.web.authenticated
    async def post(self) -> None:
        body = json_body(self, "RegisterRequest")
        detail = await self.in_store(
            register, body["run_id"], body["name"], body.get("description"), self.acting_user
        )
        self.reply(detail, status=201)


class ModelHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str) -> None:
        self.reply(await self.in_store(model_detail, check_text("name", name)))


class ModelVersionHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str, version: str) -> None:
        number = positive_int("version", version)
        self.reply(await self.in_store(version_detail, check_text("name", name), number))


class GatesHandler(RegistryHandler):
    @tornado.web.authenticated
    async def get(self, name: str, version: str) -> None:
        number = positive_int("version", version)
        alias = text_argument(self, "alias") or DEFAULT_ALIAS
        report = await self.in_store(
            lambda store: registry.check_gates(check_text("name", name), number, alias, store=store)
        )
        self.reply(report.to_dict())


class ModelActionHandler(RegistryHandler):
    @tornado.web.authenticated
    async def post(self, name: str, version: str, action: str) -> None:
        if action not in MODEL_ACTIONS:
            raise ApiError(400, f"unknown action {action!r}; one of {', '.join(MODEL_ACTIONS)}")
        number = positive_int("version", version)
        body = json_body(self, "ActionRequest")
        result = await self.in_store(
            act, check_text("name", name), number, action, body, self.acting_user
        )
        self.reply(result)


handlers = [
    (r"models", ModelsHandler),
    (r"models/(?P<name>[^/]+)", ModelHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", ModelVersionHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/gates", GatesHandler),
    (r"models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/(?P<action>[^/]+)", ModelActionHandler),
]
