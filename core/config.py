"""Service settings from the environment (prefix WAGECASE_), read only at the edges."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-insecure-secret-change-me-in-production"


class Settings(BaseSettings):
    """Everything configurable about one running service; see CONTRACT.md "Running"."""

    model_config = SettingsConfigDict(env_prefix="WAGECASE_", extra="ignore")

    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'wagecase.db'}"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "wagecase"
    jurisdiction: Path = REPO_ROOT / "jurisdictions" / "daixian.yaml"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    secret_key: str = DEV_SECRET_KEY
    admin_password: str | None = None
    token_minutes: int = 480
    env: Literal["development", "production"] = "development"

    @model_validator(mode="after")
    def _no_dev_secret_in_production(self) -> "Settings":
        if self.env == "production" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError("WAGECASE_SECRET_KEY must be set when WAGECASE_ENV=production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
