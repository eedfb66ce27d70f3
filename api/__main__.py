"""Serve the API: `python -m api` (host and port from WAGECASE_API_HOST / WAGECASE_API_PORT)."""

import uvicorn

from api.app import create_app
from core.config import Settings, get_settings


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn's settings: X-Forwarded-For/-Proto are believed only from WAGECASE_TRUSTED_PROXIES (uvicorn
    by itself would believe them from 127.0.0.1, so anything on the host could pose as any address)."""
    options = {"host": settings.api_host, "port": settings.api_port, "log_level": "info"}
    if settings.trusted_proxies:
        options |= {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}
    else:
        options |= {"proxy_headers": False}
    return options


def main() -> None:
    """Run the API with uvicorn in the foreground."""
    settings = get_settings()
    uvicorn.run(create_app(settings), **uvicorn_options(settings))


if __name__ == "__main__":
    main()
