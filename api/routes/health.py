"""Liveness for operators and `make run`: can the API reach its database and Temporal?"""

from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from api.deps import get_temporal

router = APIRouter(tags=["health"])


def _check_database(engine: Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not reachable" here
        return f"database error: {exc.__class__.__name__}: {exc}".splitlines()[0]
    return "ok"


async def _check_temporal(request: Request) -> str:
    try:
        client = await get_temporal(request)
        await client.service_client.check_health(timeout=timedelta(seconds=3))
    except HTTPException as exc:
        return str(exc.detail)
    except Exception as exc:  # a cached client whose server has gone away
        address = request.app.state.settings.temporal_address
        return f"Temporal is not healthy at {address}: {exc}"
    return "ok"


@router.get("/healthz", summary="Database and Temporal reachable (no auth)")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers SELECT 1 and Temporal answers a health check, else 503."""
    checks = {
        "database": await run_in_threadpool(_check_database, request.app.state.engine),
        "temporal": await _check_temporal(request),
    }
    failed = [f"{part}: {result}" for part, result in checks.items() if result != "ok"]
    if not failed:
        return JSONResponse({"status": "ok", **checks})
    return JSONResponse({"status": "unavailable", "detail": "; ".join(failed), **checks}, status_code=503)
