"""Serve the API: `python -m api` (host and port from WAGECASE_API_HOST / WAGECASE_API_PORT)."""

import uvicorn

from api.app import create_app
from core.config import get_settings


def main() -> None:
    """Run the API with uvicorn in the foreground."""
    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_level="info")


if __name__ == "__main__":
    main()
