# Canvass Planner web app. Build: docker build -t canvass .   Run: docker run -p 8000:8000 canvass
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /opt/canvass

COPY pyproject.toml README.md ./
COPY app ./app
COPY geo ./geo
COPY routing ./routing
COPY segments ./segments
COPY static ./static
RUN pip install .

# Plans live in /data; the image carries the demo plan so a fresh container shows something.
RUN useradd --create-home canvass && mkdir /data && chown canvass /data
USER canvass
RUN canvass demo --no-serve --out /data/demo

EXPOSE 8000
CMD ["canvass", "serve", "--workspace", "/data", "--host", "0.0.0.0", "--port", "8000"]
