# Post-Progression Explorer: production image (gunicorn, non-root, Chromium for figure exports).
# The install steps are the Makefile's `install` recipe: a venv, `pip install -r requirements.lock`,
# then the project itself with --no-deps --no-build-isolation (tests/test_docker.py checks they match).

# ---- build stage: compilers and pip caches stay here
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
COPY analysis ./analysis
COPY app ./app
COPY cli ./cli
RUN /opt/venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation .

# ---- runtime stage: slim, non-root
FROM python:3.11-slim AS runtime
# Chromium (Debian's) is what kaleido drives for PNG/PDF/PPTX exports; fonts-noto-cjk so that Japanese labels
# (a hospital's centre names, an upload's values) render in those exports instead of boxes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin ppx
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/ppx
COPY --chown=ppx:ppx gunicorn.conf.py ./
COPY --chown=ppx:ppx data ./data
# the numeric uid of the ppx user created above (a name may not resolve on the host)
USER 10001
ENV PATH="/opt/venv/bin:$PATH" \
    PPX_BIND="0.0.0.0:8050" \
    PPX_COHORT_PATH="/srv/ppx/data/synthetic_klc.csv" \
    BROWSER_PATH="/usr/bin/chromium" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]
ENTRYPOINT ["gunicorn", "--config", "gunicorn.conf.py", "app.wsgi:server"]
