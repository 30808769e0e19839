"""Fuzzing the API with schemathesis, in-process (ASGI), driven by the app's own OpenAPI
document: for every operation and every role the operation admits, valid and invalid requests
are generated with that role's key. Checked on every answer: no 5xx, the status is documented,
the content type is the documented one, and the body matches the documented schema.

Operations that have no admitted role (none today) are fuzzed with an admin key. Positive
cases also run against an open wave and a real case (path parameters fixed) so handlers get
past the 404s."""

from __future__ import annotations

import datetime as dt
import os

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, negative_data_rejection, response_schema_conformance, status_code_conformance,
)

from engine.calendar import national_calendar
from engine.haocha.intake import RatingIn, accept_rating
from engine.loader import load_policy
from engine.storage import Store, upgrade
from engine.storage.ratings import add_rating
from engine.storage.models import ROLES
from engine.web import create_app
from engine.web.app import ROUTE_ROLES
from tests.conftest import QUESTIONNAIRES
from tests.hardening._figures import record

POLICY = load_policy(QUESTIONNAIRES / "policies" / "national.yaml")
SOURCE = (QUESTIONNAIRES / "community_satisfaction.yaml").read_text(encoding="utf-8")
EXAMPLES = int(os.environ.get("MANYI_FUZZ_EXAMPLES", "15"))
MIN_REQUESTS = 1000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_env(module_url):
    url = module_url
    upgrade(url)
    store = Store(url)
    vid = store.publish_questionnaire(SOURCE)
    store.create_wave("w1", vid, title="模糊测试")
    store.set_wave_status("w1", "open")
    keys = {role: store.create_api_key(role) for role in ROLES}
    app = create_app(store, policy=POLICY, secret=b"fuzz")
    r = msgspec.convert({"transaction_no": "F1", "adapter": "gbt39046", "level_code": "5", "channel_code": "4",
                         "region_code": "440106", "finished_at": dt.datetime(2026, 9, 30, 10, tzinfo=dt.timezone.utc),
                         "rated_at": dt.datetime(2026, 9, 30, 11, tzinfo=dt.timezone.utc)}, RatingIn)
    _, case_id = add_rating(store, accept_rating(r, POLICY, national_calendar(), secret=b"fuzz"), POLICY,
                            national_calendar())
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    yield schema, keys, {"wave_id": "w1", "case_id": case_id}, store.engine.dialect.name
    store.engine.dispose()


def _route(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def test_fuzz_every_operation_with_every_admitted_role(fuzz_env):
    schema, keys, fixed, dialect = fuzz_env
    tried: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        route = _route(operation)
        roles = [r for r in ROUTE_ROLES[route] if r in keys] or ["admin"]
        for role in roles:
            for mode, path_parameters in ((GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None),
                                          (GenerationMode.POSITIVE, fixed)):
                params = {k: v for k, v in (path_parameters or {}).items() if "{" + k + "}" in operation.path}
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=params or None)
                headers = {"Authorization": f"Bearer {keys[role]}"}
                checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def run(case):
                    tried[route] = tried.get(route, 0) + 1
                    r = case.call_and_validate(headers=headers, checks=checks)
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

                try:
                    run()
                except Unsatisfiable:  # nothing to make invalid (no parameters, no declared body)
                    assert mode is GenerationMode.NEGATIVE, route
    total = sum(tried.values())
    record(f"fuzz-{dialect}", {"requests": total, "operations": tried,
                    "statuses": {str(k): v for k, v in sorted(statuses.items())}})
    assert set(tried) == set(ROUTE_ROLES)
    assert total >= MIN_REQUESTS
