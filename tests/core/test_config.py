"""Secrets come from the environment; production refuses to start with the development secret."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import DEV_SECRET_KEY, MIN_SECRET_LENGTH, Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "f" * 64


def test_production_needs_a_real_secret_key():
    with pytest.raises(ValidationError, match="WAGECASE_SECRET_KEY must be set"):
        Settings(env="production")
    with pytest.raises(ValidationError, match=f"at least {MIN_SECRET_LENGTH} characters"):
        Settings(env="production", secret_key="short-secret")
    assert Settings(env="production", secret_key=STRONG).secret_key == STRONG
    assert Settings().secret_key == DEV_SECRET_KEY  # development may use the default


def test_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("WAGECASE_ENV", "production")
    monkeypatch.setenv("WAGECASE_SECRET_KEY", STRONG)
    monkeypatch.setenv("WAGECASE_TOKEN_MINUTES", "15")
    settings = Settings()
    assert (settings.env, settings.secret_key, settings.token_minutes) == ("production", STRONG, 15)


def test_secrets_stay_out_of_repr_and_errors():
    settings = Settings(secret_key=STRONG, admin_password="admin-pw-123456", payload_keys=None)
    assert STRONG not in repr(settings) and "admin-pw-123456" not in repr(settings)
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key="my-short-secret")
    assert "my-short-secret" not in str(refused.value)


@pytest.mark.parametrize("command", [[sys.executable, "-m", "api"], [sys.executable, "worker.py"]])
def test_api_and_worker_refuse_to_start_in_production_with_the_default_secret(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAGECASE_")}
    env.update(
        WAGECASE_ENV="production",
        WAGECASE_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}",
        WAGECASE_API_PORT="1",
        WAGECASE_TEMPORAL_ADDRESS="127.0.0.1:1",
    )
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "WAGECASE_SECRET_KEY must be set" in result.stderr
    assert DEV_SECRET_KEY not in result.stderr + result.stdout
    assert not (tmp_path / "db.sqlite").exists()  # refused before touching the database


def test_no_secret_values_are_committed():
    # A secret in the repository would be one assignment with a literal value; references such as
    # ${WAGECASE_SECRET_KEY:?…} or $(openssl rand -hex 32) are fine.
    literal = re.compile(r"WAGECASE_(SECRET_KEY|ADMIN_PASSWORD|PAYLOAD_KEYS)\s*[=:]\s*['\"]?(?![$'\"{<])[^\s'\"]{8,}")
    offenders = []
    skip = {".venv", "var", ".git", "node_modules", "__pycache__", "tests"}
    for path in ROOT.rglob("*"):
        if any(part in skip or part.endswith(".egg-info") for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".toml", ".md", ".sh", ".cfg", ".ini", ""}:
            text = path.read_text(encoding="utf-8", errors="ignore")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in literal.finditer(text)]
    assert not list(ROOT.glob(".env*")), "a .env file is in the repository"
    assert offenders == []
