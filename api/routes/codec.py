"""The remote codec for the Temporal Web UI and CLI: decrypts Temporal payloads, for reading only.

There is no …/encode: whoever could have payloads sealed here could send the workflows updates and
signals the worker takes for the service's own (core/codec.py). Temporal's remote codec protocol: POST
…/decode with `{"payloads": [{"metadata": {k: base64},
"data": base64}]}` (protobuf JSON) and the same shape back. The dev server started by `make run` points
its Web UI here (`--ui-codec-endpoint http://127.0.0.1:8000/codec`).

Only roles that see every case unmasked may use it (supervisor, admin). The Web UI authenticates with
the session cookie of the wagecase web UI: log in at http://127.0.0.1:8000 first, and tick "Include
cross-origin credentials" in the Web UI's codec settings. The CLI sends a Bearer token:
`temporal workflow show -w CASE --codec-endpoint http://127.0.0.1:8000/codec --codec-auth "Bearer …"`.
Every decryption of a case's data is recorded in the audit trail: one row per case number found in the
decoded payloads of a request.
"""

import base64
import binascii
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.common.v1 import Payload

from api.deps import SessionDep, SettingsDep, oauth2_scheme, user_from_token
from api.web_auth import SESSION_COOKIE
from core.codec import ENCODING, EncryptionCodec, PayloadDecryptError
from db.accounts import User
from db.audit import TEMPORAL_CODEC, record_views
from domain.roles import Role

router = APIRouter(prefix="/codec", tags=["codec"])

CODEC_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
MAX_PAYLOADS = 1000


class PayloadJson(BaseModel):
    """One Temporal payload in protobuf JSON: metadata values and data base64-encoded."""

    model_config = ConfigDict(extra="ignore")
    metadata: dict[str, Annotated[str, Field(max_length=1024)]] = Field(default_factory=dict, max_length=32)
    data: str = ""


class PayloadsJson(BaseModel):
    model_config = ConfigDict(extra="ignore")
    payloads: list[PayloadJson] = Field(default_factory=list, max_length=MAX_PAYLOADS)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"})


def codec_user(
    request: Request, session: SessionDep, settings: SettingsDep, bearer: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    """The user of the Bearer token or of the web UI's session cookie; 401 without one, 403 for other roles."""
    token = bearer or request.cookies.get(SESSION_COOKIE)
    if not token:
        raise _unauthorized(
            "not authenticated: send Authorization: Bearer <token>, or log in to the web UI "
            "and let the Temporal UI include credentials"
        )
    user = user_from_token(session, settings, token)
    if user.role not in CODEC_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"decoding Temporal payloads needs the role supervisor or admin; you are {user.role}",
        )
    return user


CodecUser = Annotated[User, Depends(codec_user)]


def _b64(value: str, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"{where} is not base64") from None


def _to_payloads(body: PayloadsJson) -> list[Payload]:
    payloads = []
    for i, p in enumerate(body.payloads):
        metadata = {key: _b64(value, f"payloads.{i}.metadata.{key}") for key, value in p.metadata.items()}
        payloads.append(Payload(metadata=metadata, data=_b64(p.data, f"payloads.{i}.data")))
    return payloads


def _to_json(payloads: list[Payload]) -> PayloadsJson:
    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return PayloadsJson(
        payloads=[PayloadJson(metadata={k: b64(v) for k, v in p.metadata.items()}, data=b64(p.data)) for p in payloads]
    )


def _codec(request: Request) -> EncryptionCodec:
    return request.app.state.codec


def _case_numbers(request: Request, payloads: list[Payload]) -> list[str]:
    prefix = request.app.state.jurisdiction.case_prefix
    pattern = re.compile(rf"{re.escape(prefix)}-\d{{4}}-\d{{6}}")
    found = set()
    for payload in payloads:
        found.update(pattern.findall(payload.data.decode("utf-8", errors="ignore")))
    return sorted(found)


@router.post("/decode", summary="Decrypt Temporal payloads (remote codec; supervisor, admin)")
async def decode(body: PayloadsJson, request: Request, session: SessionDep, user: CodecUser) -> PayloadsJson:
    """Open the encrypted payloads; others come back unchanged. Recorded in the personal-data audit trail."""
    payloads = _to_payloads(body)
    try:
        opened = [_codec(request).open(p) for p in payloads]
    except PayloadDecryptError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(err)) from None
    encrypted = [o for p, o in zip(payloads, opened) if p.metadata.get("encoding") == ENCODING]
    # One audit row per case whose number the decoded payloads carry, however many payloads of it the
    # request held. A payload that names no case (an activity's result, an update's acknowledgement) holds
    # no one's data by itself and writes no row: the Web UI decodes such payloads by the hundred.
    cases = _case_numbers(request, encrypted) if encrypted else []
    if cases:
        namespace = request.headers.get("x-namespace", "")[:64]
        await run_in_threadpool(
            record_views,
            session=session,
            username=user.username,
            role=user.role,
            unit=user.unit,
            case_nos=list(cases),
            via=TEMPORAL_CODEC,
            detail=f"{len(encrypted)} payload(s), namespace {namespace or '?'}",
        )
    return _to_json(opened)
