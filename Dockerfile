# Canvass Planner web app.
#   Build:  docker build -t canvass .
#   Run:    docker run -p 8000:8000 -v canvass-data:/data -e CANVASS_ADMIN_PASSWORD=... canvass
# For an office (HTTPS, PostgreSQL/PostGIS, backups of one volume): deploy/compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CANVASS_WORKSPACE=/data CANVASS_CACHE_DIR=/data/.canvass/graph-cache
WORKDIR /opt/canvass

COPY pyproject.toml README.md ./
COPY app ./app
COPY geo ./geo
COPY routing ./routing
COPY segments ./segments
COPY static ./static
RUN pip install . && useradd --create-home --uid 10001 canvass && mkdir /data && chown canvass /data
COPY deploy/entrypoint.sh /usr/local/bin/canvass-entrypoint
RUN chmod 0755 /usr/local/bin/canvass-entrypoint

# Everything the campaign keeps (plans, uploads, the SQLite database if no DATABASE_URL) is here.
VOLUME ["/data"]
USER canvass
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
ENTRYPOINT ["canvass-entrypoint"]
CMD ["canvass", "serve", "--workspace", "/data", "--host", "0.0.0.0", "--port", "8000"]
