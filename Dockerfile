# The app's image, for docker-compose.yml (PostgreSQL, Redis, two replicas, Caddy in front).
FROM python:3.11-slim-bookworm

# WeasyPrint (the record's PDF) needs Pango and a font; nothing else of the system is used.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/sosboard
# The same pinned, hashed dependencies as `make run` and CI.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# Run from the source tree (the app finds migrations/ and frontend/ beside app/).
COPY app app
COPY realtime realtime
COPY migrations migrations
COPY frontend frontend
ENV PYTHONPATH=/srv/sosboard PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

RUN useradd --system --uid 10001 --home-dir /nonexistent sosboard
USER sosboard
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"]
CMD ["python", "-m", "app.cli", "serve", "--host", "0.0.0.0", "--port", "8000"]
