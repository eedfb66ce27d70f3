# The wagecase service image. docker-compose.yml runs it as the API (`python -m api`, the default),
# the worker (`python worker.py`) and the one-shot migration (`python -m db upgrade`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the service needs: a developer's build context also holds .venv/ and var/.
COPY pyproject.toml worker.py ./
COPY domain/ domain/
COPY workflows/ workflows/
COPY activities/ activities/
COPY db/ db/
COPY api/ api/
COPY core/ core/
COPY documents/ documents/
COPY jurisdictions/ jurisdictions/

# Pango and CJK fonts: WeasyPrint renders the official documents as PDF in Chinese.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN pip install . \
    && useradd --create-home --uid 10001 --user-group wagecase \
    && mkdir -p /app/var \
    && chown wagecase:wagecase /app/var

USER wagecase

ENV WAGECASE_API_HOST=0.0.0.0 \
    WAGECASE_JURISDICTION=/app/jurisdictions/daixian.yaml
EXPOSE 8000
CMD ["python", "-m", "api"]
