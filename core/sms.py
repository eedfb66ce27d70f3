"""Text messages to complainants: one small interface, a generic HTTP provider, and the outbox drain.

Configured from the environment (all optional):
- `WAGECASE_SMS_PROVIDER`: `none` (default: messages stay in the outbox, unsent) or `http`;
- `WAGECASE_SMS_URL`: the provider's (or the county's SMS gateway's) endpoint, called with
  POST {"phone", "text", "sign"} and `Authorization: Bearer WAGECASE_SMS_KEY`; it answers 2xx with JSON
  holding the provider's message id (`message_id`, `id`, `msgid` or `BizId`);
- `WAGECASE_SMS_KEY`, `WAGECASE_SMS_SIGN` (the registered signature, e.g. 代县人社),
  `WAGECASE_SMS_INTERVAL_SECONDS` (how often the outbox is drained, default 30).
"""

import asyncio
import logging
from datetime import datetime
from typing import Literal, Protocol

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

from db.engine import session_scope
from db.outbox import ComplainantMessage, due_messages, record_attempt
from db.types import utcnow

log = logging.getLogger("wagecase.sms")
ID_FIELDS = ("message_id", "id", "msgid", "BizId")


class SmsSender(Protocol):
    """Sends one text message; returns the provider's message id, raises SmsError when it was not accepted."""

    def send(self, phone: str, text: str) -> str: ...


class SmsError(Exception):
    """The provider did not accept the message (the reason is kept in the outbox)."""


class SmsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WAGECASE_SMS_", extra="ignore", hide_input_in_errors=True)

    provider: Literal["none", "http"] = "none"
    url: str | None = None
    key: str | None = Field(default=None, repr=False)
    sign: str = ""
    interval_seconds: float = Field(default=30, gt=0)
    timeout_seconds: float = Field(default=10, gt=0)


class HttpSmsSender:
    """A provider reached by one JSON POST per message."""

    def __init__(
        self,
        url: str,
        *,
        key: str | None = None,
        sign: str = "",
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.url, self.sign = url, sign
        self.client = httpx.Client(headers=headers, timeout=timeout, transport=transport)

    def send(self, phone: str, text: str) -> str:
        try:
            response = self.client.post(self.url, json={"phone": phone, "text": text, "sign": self.sign})
        except httpx.HTTPError as exc:
            raise SmsError(f"provider not reachable: {exc}") from None
        if not response.is_success:
            raise SmsError(f"provider answered {response.status_code}: {response.text[:200]}")
        try:
            body = response.json()
        except ValueError:
            raise SmsError(f"provider answered {response.status_code} without JSON") from None
        found = next((body[f] for f in ID_FIELDS if isinstance(body, dict) and body.get(f)), None)
        if found is None:
            raise SmsError(f"provider's answer has no message id: {response.text[:200]}")
        return str(found)

    def close(self) -> None:
        self.client.close()


def sender_from_env(settings: SmsSettings | None = None) -> SmsSender | None:
    """The configured provider, or None when there is none (messages then stay unsent)."""
    settings = settings or SmsSettings()
    if settings.provider == "none":
        return None
    if not settings.url:
        raise ValueError("WAGECASE_SMS_PROVIDER=http needs WAGECASE_SMS_URL")
    return HttpSmsSender(settings.url, key=settings.key, sign=settings.sign, timeout=settings.timeout_seconds)


def drain_outbox(*, engine: Engine, sender: SmsSender, now: datetime | None = None, limit: int = 50) -> int:
    """Send the due messages one by one, recording each attempt at once; returns how many were sent."""
    now = now or utcnow()
    with session_scope(engine) as session:
        due = [(m.id, phone, m.text) for m, phone in due_messages(session=session, now=now, limit=limit)]
    sent = 0
    for message_id, phone, text in due:
        provider_id, error = None, None
        try:
            provider_id = sender.send(phone, text)
        except SmsError as exc:
            error = str(exc)
        except Exception as exc:  # a broken provider adapter must not stop the other messages
            error = f"{type(exc).__name__}: {exc}"
        with session_scope(engine) as session:
            message = session.get(ComplainantMessage, message_id)
            record_attempt(session=session, message=message, now=utcnow(), provider_message_id=provider_id, error=error)
        if error:
            log.warning("SMS for message %s not sent: %s", message_id, error)
        else:
            sent += 1
    return sent


async def run_sender(engine: Engine, sender: SmsSender, interval: float) -> None:
    """Drain the outbox every `interval` seconds until cancelled."""
    while True:
        try:
            await asyncio.to_thread(drain_outbox, engine=engine, sender=sender)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("draining the complainants' outbox failed")
        await asyncio.sleep(interval)
