"""Forms of the public pages, which have no session: a double-submit token against cross-site posts, and
for the complaint form a simple challenge against scripted floods.

Each form carries `issued.mac`, an HMAC over the form's purpose, the issue time and a random nonce kept in
a SameSite=Strict cookie; a post whose token does not match its cookie is refused (another site can
neither read the cookie nor forge the MAC). The complaint form also needs a minimum fill time (a person
takes more than a few seconds, a script that posts at once does not), an unfilled hidden field, and each
token registers one complaint only. This needs no third-party service and no script in the browser, so
it works on any phone; the per-address limit bounds what is left. A proof-of-work was not chosen: it needs
JavaScript and costs the cheapest phones the most.
"""

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict

from fastapi import Request, Response

from core.config import Settings

COOKIE = "wagecase_public"
TOKEN_FIELD = "form_token"
HONEYPOT_FIELD = "website"  # hidden from people by CSS; scripts that fill every field fill it
MAX_AGE_SECONDS = 2 * 60 * 60
MIN_FILL_SECONDS = 3.0
_USED_MAX = 20_000


class FormRejected(Exception):
    """The form's token is missing, forged, expired, reused, or the form was sent too fast."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # forged | expired | too_fast | reused | honeypot


def _mac(settings: Settings, purpose: str, nonce: str, issued: str) -> str:
    message = f"public-form:{purpose}:{nonce}:{issued}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()[:40]


def _nonce(request: Request) -> str:
    value = request.cookies.get(COOKIE, "")
    return value if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum() else ""


def form_token(request: Request, purpose: str, *, now: float | None = None) -> str:
    """A token for a form of this purpose; put_cookie() must go on the response that carries it."""
    nonce = getattr(request.state, "public_nonce", None) or _nonce(request) or secrets.token_urlsafe(18)
    request.state.public_nonce = nonce  # every form of the page is bound to the same cookie
    issued = f"{now if now is not None else time.time():.3f}"
    return f"{issued}.{_mac(request.app.state.settings, purpose, nonce, issued)}"


def put_cookie(request: Request, response: Response) -> None:
    """The nonce cookie that the tokens of this page are bound to."""
    nonce = getattr(request.state, "public_nonce", None)
    if nonce:
        response.set_cookie(
            COOKIE,
            nonce,
            max_age=MAX_AGE_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


class UsedTokens:
    """Tokens that already registered a complaint (bounded; older ones have expired anyway)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, token: str) -> bool:
        """Mark the token used; False if it was used before."""
        with self._lock:
            if token in self._seen:
                return False
            self._seen[token] = time.time()
            while len(self._seen) > _USED_MAX:
                self._seen.popitem(last=False)
            return True


def used_tokens(request: Request) -> UsedTokens:
    found = getattr(request.app.state, "public_used_tokens", None)
    if found is None:
        found = request.app.state.public_used_tokens = UsedTokens()
    return found


def check_form(request: Request, form, purpose: str, *, min_fill: float = 0.0, now: float | None = None) -> str:
    """The form's token if it is genuine and fresh (and, with `min_fill`, was filled in that long); else
    FormRejected."""
    token = str(form.get(TOKEN_FIELD) or "")
    issued, _, mac = token.rpartition(".")
    nonce = _nonce(request)
    try:
        at = float(issued)
    except ValueError:
        raise FormRejected("forged") from None
    if not nonce or not hmac.compare_digest(mac, _mac(request.app.state.settings, purpose, nonce, issued)):
        raise FormRejected("forged")
    age = (now if now is not None else time.time()) - at
    if age > MAX_AGE_SECONDS or age < -60:
        raise FormRejected("expired")
    if str(form.get(HONEYPOT_FIELD) or ""):
        raise FormRejected("honeypot")
    if age < min_fill:
        raise FormRejected("too_fast")
    return token
