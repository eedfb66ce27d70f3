"""ASGI middleware at the edge: a cap on request bodies, no control characters, CORS for the codec only."""

import json
import re
from urllib.parse import unquote_to_bytes

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The largest complaint (5000 workers with names and ID numbers) is well under 1 MiB.
MAX_BODY_BYTES = 2 * 1024 * 1024

# C0 control characters other than tab, line feed and carriage return: no form or person types them,
# and PostgreSQL cannot store NUL. Refused wherever they appear: path, query, JSON escapes, form fields.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_JSON_CONTROL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])")
_FORM_CONTROL_ESCAPE = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])")
CONTROL_MESSAGE = (
    "the request contains a control character (such as U+0000) {where}; send UTF-8 text "
    "without control characters (请求中含有不可见的控制字符)"
)


def control_character_in(scope: Scope, body: bytes) -> str | None:
    """Where the request carries a control character ("in the URL", "in the body"), or None."""
    if _CONTROL.search(scope["path"].encode("utf-8", errors="replace")) or _CONTROL.search(
        unquote_to_bytes(scope.get("query_string", b""))
    ):
        return "in the URL"
    if not body:
        return None
    content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
    if content_type.startswith(b"multipart/"):
        return None  # file uploads are binary
    if (
        _CONTROL.search(body)
        or _JSON_CONTROL_ESCAPE.search(body)
        or (content_type.startswith(b"application/x-www-form-urlencoded") and _FORM_CONTROL_ESCAPE.search(body))
    ):
        return "in the body"
    return None


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class EdgeGuard:
    """Refuse a body over `max_bytes` (413) and control characters in URL or body (400) before the app
    parses anything."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if control_character_in(scope, b""):
            await _send_json(send, 400, CONTROL_MESSAGE.format(where="in the URL"))
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(send, 400, "the Content-Length header is not a number")
                return
            if int(declared) > self.max_bytes:
                await _send_json(send, 413, self._too_large())
                return
        # Read the whole (bounded) body first, so that a body without Content-Length is capped too.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, self._too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        where = control_character_in(scope, b"".join(chunks))
        if where:
            await _send_json(send, 400, CONTROL_MESSAGE.format(where=where))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CodecCors:
    """CORS for the Temporal Web UI's origins on /codec/… (credentials allowed); nothing elsewhere."""

    def __init__(self, app: ASGIApp, origins: list[str], prefix: str = "/codec/"):
        self.app = app
        self.prefix = prefix
        self.cors = CORSMiddleware(
            app, allow_origins=origins, allow_methods=["POST"], allow_headers=["*"], allow_credentials=True, max_age=600
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
