"""The HTTP API and web UI (FastAPI): `python -m api` serves it."""
