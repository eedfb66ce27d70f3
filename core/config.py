"""Service settings from the environment (prefix WAGECASE_), read only at the edges."""

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-secret-change-me-in-production"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Everything configurable about one running service; see docs/contract.md, "Processes and settings"."""

    # hide_input_in_errors: a refused setting must not print the secrets next to it into the logs.
    model_config = SettingsConfigDict(env_prefix="WAGECASE_", extra="ignore", hide_input_in_errors=True)

    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'wagecase.db'}"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "wagecase"
    jurisdiction: Path = REPO_ROOT / "jurisdictions" / "daixian.yaml"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    secret_key: str = Field(default=DEV_SECRET_KEY, repr=False)  # secrets stay out of repr() and logs
    # Keys that encrypt Temporal payloads, "id:base64key,…" (the first encrypts); see core/codec.py.
    payload_keys: str | None = Field(default=None, repr=False)
    admin_password: str | None = Field(default=None, repr=False)
    token_minutes: int = 480
    # Origins of the Temporal Web UI allowed to call the codec endpoint (comma-separated).
    temporal_ui_origins: str = "http://127.0.0.1:8233,http://localhost:8233"
    env: Literal["development", "production"] = "development"
    # Reverse proxies whose X-Forwarded-For (and -Proto) are believed, comma-separated addresses or networks
    # ("10.0.0.5,172.16.0.0/12"). Empty: the connection's peer is the client, whatever headers it sends.
    trusted_proxies: str = ""
    # Run the worker's workflows in Temporal's sandbox (a determinism guard that costs CPU and memory per case;
    # the test suite always runs the workflows sandboxed, see worker.py).
    workflow_sandbox: bool = False
    # The case list counts its matches up to this many (GET /api/cases `total_capped`, the inbox's "10,000+"):
    # counting every one of 100,000 matches took 1-1.7 s on PostgreSQL (README, "Benchmark").
    count_cap: int = Field(default=10_000, ge=1)
    # A search's total is counted up to this many ("1,000+"): each match of a search is checked against the
    # case's names, so counting the 6,400 cases of a unit whose employer is a 劳务有限公司 took 165 ms on
    # PostgreSQL at 100,000 cases (README, "Benchmark"); the page of the nearest deadlines takes 8 ms.
    search_count_cap: int = Field(default=1_000, ge=1)

    def count_cap_for(self, q: str | None) -> int:
        """The cap of a case list's total: a search's (search_count_cap) or a list's (count_cap)."""
        return self.search_count_cap if q and q.strip() else self.count_cap

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> "Settings":
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY:
                raise ValueError("WAGECASE_SECRET_KEY must be set when WAGECASE_ENV=production")
            if len(self.secret_key) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"WAGECASE_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters when "
                    "WAGECASE_ENV=production (e.g. `openssl rand -hex 32`)"
                )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(
                    f"WAGECASE_TRUSTED_PROXIES: {part!r} is not an IP address or network "
                    "(such as 10.0.0.5 or 172.16.0.0/12)"
                ) from None
        return ",".join(parts)

    @field_validator("payload_keys")
    @classmethod
    def _payload_keys_parse(cls, value: str | None) -> str | None:
        if value is not None and value.strip():
            from core.codec import parse_payload_keys  # imported here: core.codec needs this module's type

            parse_payload_keys(value)
            return value
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
