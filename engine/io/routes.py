"""The import and export routes of /api/v1 (registered by engine.web.app.create_app).

    POST /api/v1/waves/{wave_id}/imports                     the file as the body: checked, kept,
                                                             every problem reported; nothing stored
    POST /api/v1/waves/{wave_id}/imports/{import_id}/commit  store the valid rows (idempotent)
    GET  /api/v1/waves/{wave_id}/export?format=csv|xlsx|sav|codebook   streamed download

An uploaded file is kept under MANYI_IMPORT_DIR (default var/imports) by wave and SHA-256,
which is its import id: committing re-reads and re-checks those exact bytes."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import partial
from pathlib import Path
from typing import Callable

import anyio
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.response import File, Stream

from ..storage import NotFound, Store
from ..storage.paper import record_audit
from .exporter import CODEBOOK_FORMATS, FORMATS, csv_chunks, export_wave, wave_questionnaire
from .importer import check_file, import_valid
from .tables import file_format

__all__ = ["IO_ROUTE_ROLES", "io_routes", "document_downloads"]

IMPORTS = "POST /api/v1/waves/{wave_id}/imports"
COMMIT = "POST /api/v1/waves/{wave_id}/imports/{import_id}/commit"
EXPORT = "GET /api/v1/waves/{wave_id}/export"
IO_ROUTE_ROLES: dict[str, tuple[str, ...]] = {
    IMPORTS: ("admin", "evaluator"),
    COMMIT: ("admin", "evaluator"),
    # as GET .../responses: leaders may read the data of their waves
    EXPORT: ("admin", "evaluator", "leader"),
}
MAX_UPLOAD = 512 * 2**20
_MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "sav": "application/x-spss-sav", "md": "text/markdown", "json": "application/json"}


def _spool(wave_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", wave_id):
        raise NotFound(f"no wave '{wave_id}'")
    path = Path(os.environ.get("MANYI_IMPORT_DIR") or Path("var") / "imports") / wave_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def _find(wave_id: str, import_id: str) -> Path:
    if re.fullmatch(r"[0-9a-f]{64}", import_id):
        for ext in ("csv", "xlsx"):
            p = _spool(wave_id) / f"{import_id}.{ext}"
            if p.exists():
                return p
    raise NotFound(f"no import '{import_id}' of wave '{wave_id}'; upload the file first")


def io_routes(store: Store, allow: Callable[[str], list]) -> list:
    """The handlers; `allow(route)` gives the guards that admit the roles of IO_ROUTE_ROLES."""

    @post("/api/v1/waves/{wave_id:str}/imports", status_code=201, guards=allow(IMPORTS),
          request_max_body_size=MAX_UPLOAD)
    async def upload(request: Request, wave_id: FromPath[str]) -> dict:
        """Check a paper-data file (CSV or XLSX, the request body) against the wave's
        questionnaire; report every bad cell. Nothing is stored until the import is committed."""
        q = await anyio.to_thread.run_sync(wave_questionnaire, store, wave_id)
        spool = _spool(wave_id)
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(dir=spool, delete=False, suffix=".part") as tmp:
            async for chunk in request.stream():
                digest.update(chunk)
                tmp.write(chunk)
        part = Path(tmp.name)
        if part.stat().st_size == 0:
            part.unlink()
            raise HTTPException(status_code=422, detail="the body is empty: send the CSV or XLSX file as the body")
        import_id = digest.hexdigest()
        path = spool / f"{import_id}.{file_format(part)}"
        os.replace(part, path)
        report = await anyio.to_thread.run_sync(partial(check_file, path, q, wave_id))
        return {"import_id": import_id, **report.to_dict()}

    @post("/api/v1/waves/{wave_id:str}/imports/{import_id:str}/commit", status_code=200, guards=allow(COMMIT))
    async def commit(request: Request, wave_id: FromPath[str], import_id: FromPath[str]) -> dict:
        """Store the valid rows of a checked file as paper responses; again changes nothing."""
        q = await anyio.to_thread.run_sync(wave_questionnaire, store, wave_id)
        path = _find(wave_id, import_id)
        res = await anyio.to_thread.run_sync(partial(import_valid, store, wave_id, path, q,
                                                     actor=request.state.actor))
        if not res.report.importable:
            raise HTTPException(status_code=422, detail="the file's header has problems; nothing was imported",
                                extra=[p.to_dict() for p in res.report.file_problems])
        return {"import_id": import_id, **res.to_dict()}

    @get("/api/v1/waves/{wave_id:str}/export", guards=allow(EXPORT))
    async def export(request: Request, wave_id: FromPath[str], format: FromQuery[str] = "csv",
                     language: FromQuery[str] = "zh", codebook_format: FromQuery[str] = "csv") -> Response:
        """The wave's completed responses as CSV (streamed), XLSX or SPSS .sav, or its
        codebook; personal data is never included."""
        if format not in FORMATS:
            raise HTTPException(status_code=422, detail=f"format must be one of {', '.join(FORMATS)}; got {format!r}")
        if language not in ("zh", "en") or codebook_format not in CODEBOOK_FORMATS:
            raise HTTPException(status_code=422, detail="language must be zh or en; codebook_format csv, md or json")
        q = await anyio.to_thread.run_sync(wave_questionnaire, store, wave_id)
        await anyio.to_thread.run_sync(partial(record_audit, store, request.state.actor, "export", "wave", wave_id,
                                               format=format))
        if format == "csv":
            return Stream(csv_chunks(store, wave_id, q), media_type=_MEDIA["csv"],
                          headers={"Content-Disposition": f'attachment; filename="{wave_id}.csv"'})
        ext = codebook_format if format == "codebook" else format
        fd, name = tempfile.mkstemp(suffix=f".{ext}")
        os.close(fd)
        try:
            await anyio.to_thread.run_sync(partial(export_wave, store, wave_id, format, name, language=language,
                                                   codebook_format=codebook_format))
        except BaseException:
            os.unlink(name)
            raise
        filename = f"{wave_id}{'-codebook' if format == 'codebook' else ''}.{ext}"
        return File(name, filename=filename, media_type=_MEDIA[ext], background=BackgroundTask(os.unlink, name))

    return [upload, commit, export]


def document_downloads(app) -> None:
    """State in the OpenAPI document every content type the export answers with (a handler
    declares one): a file of the format asked for."""
    from litestar.openapi.spec import OpenAPIMediaType as MediaType, OpenAPIType, Schema

    op = app.openapi_schema.paths["/api/v1/waves/{wave_id}/export"].get
    ok = op.responses["200"]
    ok.description = "the export: CSV (streamed), XLSX, SPSS .sav, or the codebook (CSV, Markdown or JSON)"
    ok.content = {mt: MediaType(schema=Schema(type=OpenAPIType.STRING, format="binary"))
                  for mt in dict.fromkeys(_MEDIA.values())}
