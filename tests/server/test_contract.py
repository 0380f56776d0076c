"""The OpenAPI document and the mounted handlers describe the same API, in both directions."""

from __future__ import annotations

import re
from typing import Any

import pytest

from mlops_jupyter.server.app import API_BASE, collect_handlers, discover_handler_modules
from mlops_jupyter.server.openapi import openapi_document
from tests.server.contract import operation_for

HTTP_VERBS = ("get", "post", "put", "patch", "delete")
SAMPLE = {"version": "1", "action": "approve"}


def routes() -> list[tuple[re.Pattern[str], type]]:
    return [
        (re.compile(route + "$"), handler)
        for route, handler, _ in collect_handlers(discover_handler_modules())
    ]


def sample_path(template: str) -> str:
    """A concrete request path for a documented template (parameters filled in)."""
    path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "sample"), template)
    return API_BASE + path


def verbs_of(handler: type) -> set[str]:
    from jupyter_server.base.handlers import APIHandler

    return {
        verb
        for verb in HTTP_VERBS
        if getattr(handler, verb, None) is not getattr(APIHandler, verb, None)
    }


def test_document_is_valid_openapi() -> None:
    import schemathesis

    schema = schemathesis.openapi.from_dict(openapi_document())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(
        len([v for v in item if v in HTTP_VERBS]) for item in openapi_document()["paths"].values()
    )


@pytest.mark.parametrize("template", sorted(openapi_document()["paths"]))
def test_every_documented_path_has_a_handler_with_its_verbs(template: str) -> None:
    path = sample_path(template)
    matching = [handler for pattern, handler in routes() if pattern.match(path)]
    assert matching, f"{template} is documented but no route serves {path}"
    documented = {verb for verb in openapi_document()["paths"][template] if verb in HTTP_VERBS}
    assert documented <= verbs_of(matching[0]), (template, matching[0])


def test_every_route_and_verb_is_documented() -> None:
    for pattern, handler in routes():
        example = re.sub(r"\(\?P<\w+>[^)]*\)", "sample", pattern.pattern).rstrip("$")
        example = example.replace("\\", "")
        assert pattern.match(example), (pattern.pattern, example)
        relative = example[len(API_BASE) :]
        for verb in verbs_of(handler):
            found = operation_for(verb, relative)
            assert found is not None, (
                f"{verb.upper()} {pattern.pattern} ({handler}) is undocumented"
            )


async def test_served_document_matches_and_points_below_base_url(
    jp_fetch: Any, jp_base_url: str
) -> None:
    import json

    response = await jp_fetch("mlops", "api", "v1", "openapi.json")
    served = json.loads(response.body)
    expected = openapi_document()
    assert served["paths"] == expected["paths"]
    assert served["components"] == expected["components"]
    assert served["servers"] == [{"url": jp_base_url.rstrip("/") + API_BASE}]


def test_documented_name_rules_are_the_registry_rules() -> None:
    from mlops_jupyter.registry import names
    from mlops_jupyter.server import openapi

    assert names._MODEL_NAME.pattern == openapi.MODEL_NAME_PATTERN
    assert names._ALIAS_NAME.pattern == openapi.ALIAS_PATTERN
