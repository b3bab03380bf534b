# Post-Progression Explorer: production image (gunicorn, non-root).
# The install steps are the Makefile's: a venv, `pip install -r requirements.lock`, then the project itself.
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check -r requirements.lock
COPY analysis ./analysis
COPY app ./app
COPY data ./data
RUN /opt/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation .

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 ppx
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/ppx
COPY --chown=ppx:ppx gunicorn.conf.py ./
COPY --chown=ppx:ppx data ./data
USER ppx
ENV PATH="/opt/venv/bin:$PATH" PPX_BIND="0.0.0.0:8050" PYTHONUNBUFFERED=1
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
ENTRYPOINT ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:server"]
