"""The FastAPI application: settings, the run store and the worker pool, wired to the
routes. ``create_app`` builds one; ``cohort-match serve`` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.api import pages, routes
from matcher.api.jobs import (
    MatchRequest,
    Workers,
    issues_json,
    log_internal,
    validation_issues,
)
from matcher.api.settings import Settings
from matcher.store import Store

DESCRIPTION = """\
Mentorship matching by optimisation: survey in, explained cohorts out.

* `POST /v1/match` (JSON people) and `POST /v1/match/csv` (survey uploads) answer at once.
* `POST /v1/runs` queues a stored run: poll it, download its files, accept it as a round
  of its program (a program's rounds never repeat a pair).

Bad input gives 422 with every problem located (`file`, `row`, `column`, `value`,
`message`), as `cohort-match validate` prints them. When every worker is busy and the
queue is full, requests are refused with `Retry-After` (429 for `/v1/match*`, 503 for
`/v1/runs`).
"""


class InternalErrors:
    """Outermost of our middleware: an unexpected exception becomes a JSON 500 with a
    reference, and is logged by type and stack frames (never its message, which could
    quote an answer); no traceback ever reaches the client."""

    def __init__(self, app: ASGIApp, retry_after: int = 10) -> None:
        self.app = app
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except OperationalError as exc:
            if started:
                raise
            # The database is down or unreachable: a transient fault, not a bug. The
            # engine checks connections before use, so the next request recovers.
            log_internal(exc, f"{scope.get('method')} {scope.get('path')}: store unavailable")
            response = JSONResponse(
                {"detail": "the run store is unavailable; nothing was changed, try again"},
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": str(self.retry_after)},
            )
            await response(scope, receive, send)
        except Exception as exc:
            if started:
                raise
            reference = log_internal(exc, f"{scope.get('method')} {scope.get('path')}")
            response = JSONResponse(
                {"detail": f"internal error (reference {reference}); nothing was changed"},
                status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
            )
            await response(scope, receive, send)


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with a JSON 413: at once when its
    Content-Length says so, else as soon as the bytes read pass the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _refusal(self) -> HTTPException:
        return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=_too_large(self.limit))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            response = JSONResponse(
                {"detail": _too_large(self.limit)},
                status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._refusal()  # answered by the HTTPException handler
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> str:
    return f"request body over the limit of {limit} bytes"


def _validation_issues(exc: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's validation errors in the shape of every other 422: located issues."""
    body = [e for e in exc.errors() if tuple(e.get("loc", ()))[:1] == ("body",)]
    other = [e for e in exc.errors() if tuple(e.get("loc", ()))[:1] != ("body",)]
    issues = validation_issues(body, "request body", skip=1)
    for error in other:  # query or form fields: the first part of the path names it
        loc = [str(part) for part in error.get("loc", ())]
        issues += validation_issues([error], loc[0] if loc else "request", skip=1)
    return issues_json(issues)


#: FastAPI documents its own 422 body for routes with parameters; ours is ``ErrorResponse``.
_FASTAPI_422 = "#/components/schemas/HTTPValidationError"
_OUR_422 = "#/components/schemas/ErrorResponse"


def _openapi_with_bodies(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema plus the models of bodies a route reads itself (``MatchRequest``,
    which ``POST /v1/match`` validates straight from its bytes), with every 422 in the
    shape ``invalid_request`` gives it (schemathesis found the default one documented)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes,
            )  # fmt: skip
            _, defs = models_json_schema(
                [(MatchRequest, "validation")], ref_template="#/components/schemas/{model}"
            )
            known = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, model in defs.get("$defs", {}).items():
                known.setdefault(name, model)
            _located_422s(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


def _located_422s(schema: dict[str, Any]) -> None:
    """Point every operation's 422 at ``ErrorResponse`` and drop FastAPI's own models."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            content = operation.get("responses", {}).get("422", {}).get("content", {})
            body = content.get("application/json", {})
            if body.get("schema", {}).get("$ref") == _FASTAPI_422:
                body["schema"] = {"$ref": _OUR_422}
    known = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        known.pop(name, None)


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """The service: ``settings`` default to ``Settings.from_env()`` (so it is also
    uvicorn's ``--factory`` behind another process manager); ``store`` to one at
    ``settings.database_url`` (closed when the app stops; a given store is left open)."""
    settings = settings or Settings.from_env()
    owned = store is None
    the_store = store if store is not None else Store(settings.database_url)
    workers = Workers(settings.max_workers, settings.max_queue, settings.processes)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await workers.start_solvers()
        yield
        workers.shutdown()  # queued runs are marked failed; running ones finish
        if owned:
            the_store.close()

    app = FastAPI(
        title="cohort-matcher",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.openapi = _openapi_with_bodies(app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.store = the_store
    app.state.workers = workers
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(InternalErrors, retry_after=settings.retry_after)  # last: outermost

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": _validation_issues(exc)},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    app.include_router(routes.router)

    # The coordinator page: GET / and its static files.
    app.include_router(pages.router)
    pages.mount_static(app)

    return app
