"""Apps the HTTP benchmarks serve, one per uvicorn process (uvloop, httptools, one worker):

    MANYI_BENCH_APP=bare_submission|bare_rating|bare_rating_batch|manyi
    MANYI_BENCH_URL=<database URL>  MANYI_BENCH_POLICY=<policy yaml>   (manyi only)

    uvicorn --factory bench._serve:app --loop uvloop --http httptools --workers 1

The bare apps decode the same body with the same struct as the real route and answer 201:
the ceiling of the server, the framework and the decoding, with no storage. They start like
the real app (engine.web.heap.settle_heap: the same garbage-collector settings)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar import Litestar, post  # noqa: E402
from litestar.params import FromPath, JSONBody  # noqa: E402

from engine.haocha.intake import RatingIn  # noqa: E402
from engine.web.app import SubmissionIn  # noqa: E402
from engine.web.heap import settle_heap, unsettle_heap  # noqa: E402


@post("/api/v1/waves/{wave_id:str}/responses", status_code=201)
async def bare_submission(wave_id: FromPath[str], data: JSONBody[SubmissionIn]) -> dict:
    return {"id": 1, "status": "complete" if data.complete else "partial"}


@post("/api/v1/ratings", status_code=201)
async def bare_rating(data: JSONBody[RatingIn]) -> dict:
    return {"rating_id": 1, "case_id": None, "level": 5, "bucket": "good"}


@post("/api/v1/ratings/batch", status_code=200)
async def bare_rating_batch(data: JSONBody[list[RatingIn]]) -> dict:
    return {"results": [{"index": k, "status": 201, "rating_id": k, "case_id": None} for k in range(len(data))],
            "stored": len(data)}


def app() -> Litestar:
    which = os.environ.get("MANYI_BENCH_APP", "manyi")
    if which == "manyi":
        from engine.loader import load_policy
        from engine.storage import Store
        from engine.web import create_app

        store = Store(os.environ["MANYI_BENCH_URL"])
        return create_app(store, policy=load_policy(os.environ["MANYI_BENCH_POLICY"]), secret=b"bench")
    handler = {"bare_submission": bare_submission, "bare_rating": bare_rating,
               "bare_rating_batch": bare_rating_batch}[which]
    return Litestar(route_handlers=[handler], openapi_config=None, on_startup=[settle_heap],
                    on_shutdown=[unsettle_heap])
