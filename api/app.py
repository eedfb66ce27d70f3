"""The FastAPI application: settings, database, jurisdiction and routers put together."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from api import web
from api.api_docs import install_api_docs
from api.errors import install_error_handlers
from api.limits import CodecCors, EdgeGuard
from api.routes import (
    audit,
    auth,
    blacklist,
    calendar,
    cases,
    codec,
    complainant_office,
    deposits,
    health,
    office,
    projects,
    public,
    public_pages,
    reports,
    signals,
    users,
    warning_pages,
    warnings,
)
from api.throttle import LoginThrottle
from core.codec import payload_codec
from core.config import Settings, get_settings
from core.jurisdiction import load_jurisdiction
from core.sms import SmsSettings, run_sender, sender_from_env
from db.accounts import ensure_admin
from db.engine import create_all, make_engine, session_scope
from db.migrate import upgrade
from domain.jurisdiction import Jurisdiction

DESCRIPTION = """\
根治拖欠农民工工资案件办理系统：受理举报投诉、转办交办、立案调查、责令限期支付、动用工资保证金、
移送公安、申请法院强制执行、结案，每个案件都是一个 Temporal 工作流，时限到期自动督办升级。

Case management for wage-arrears complaints of migrant workers. Each complaint is a Temporal workflow
that runs the statutory deadlines; this API registers complaints and projects, takes case actions and
reads the database projection. Log in at `POST /api/auth/token`, then send `Authorization: Bearer …`.
"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app.state
    settings: Settings = state.settings
    if state.jurisdiction is None:
        # A broken file stops start-up here; the error names the file and the key.
        state.jurisdiction = load_jurisdiction(settings.jurisdiction)
    own_engine = state.engine is None
    if own_engine:
        upgrade(settings.database_url)  # migrations; safe while a worker does the same
        state.engine = make_engine(settings.database_url)
    else:
        create_all(state.engine)  # an engine given by a test: its database may be in memory
    if settings.admin_password:
        with session_scope(state.engine) as session:
            office = state.jurisdiction.office_unit
            ensure_admin(session=session, password=settings.admin_password, unit=office)
    sender_task = None
    if state.sms_sender is not None:  # drain the complainants' outbox (db/outbox.py) in this process
        sender_task = asyncio.create_task(run_sender(state.engine, state.sms_sender, SmsSettings().interval_seconds))
    try:
        yield
    finally:
        if sender_task is not None:
            sender_task.cancel()
        state.temporal = None
        if own_engine:
            state.engine.dispose()


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    jurisdiction: Jurisdiction | None = None,
) -> FastAPI:
    """The application; engine and jurisdiction are made at start-up unless given (tests give them)."""
    app = FastAPI(
        title="wagecase", description=DESCRIPTION, version="0.1.0", lifespan=_lifespan, docs_url=None, redoc_url=None
    )  # served from local assets by install_api_docs
    app.state.settings = settings or get_settings()
    app.state.engine = engine
    app.state.jurisdiction = jurisdiction
    app.state.temporal = None  # connected on first use by api.deps.get_temporal
    app.state.temporal_lock = asyncio.Lock()
    app.state.codec = payload_codec(app.state.settings)  # the codec endpoint's; clients get theirs from core.codec
    app.state.login_throttle = LoginThrottle()
    app.state.sms_sender = sender_from_env()  # None: messages to complainants stay in the outbox, unsent
    install_error_handlers(app)
    install_api_docs(app)
    app.add_middleware(EdgeGuard)
    # added last, so outermost: the Temporal UI can read even the guard's refusals of codec requests
    origins = [o.strip() for o in app.state.settings.temporal_ui_origins.split(",") if o.strip()]
    app.add_middleware(CodecCors, origins=origins)

    # office before cases: /api/cases/export.xlsx must not be taken for /api/cases/{case_no}
    routers = [
        health.router,
        auth.router,
        users.router,
        projects.router,
        audit.router,
        codec.router,
        office.router,
        cases.router,
        web.router,
        deposits.router,
        blacklist.router,
        public.router,
        public_pages.router,
        complainant_office.router,
        complainant_office.pages,
        calendar.router,
        warnings.router,
        signals.router,
        reports.router,
        warning_pages.router,
    ]
    for router in routers:
        app.include_router(router)
    return app
