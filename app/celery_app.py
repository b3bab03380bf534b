"""Celery worker entry point for Dash background callbacks when ``REDIS_URL`` is set.

    REDIS_URL=redis://host:6379/0 celery -A app.celery_app worker --concurrency 2

The worker builds the Dash app once so that every page's background callbacks
are registered as Celery tasks under the same names the web processes use.
"""

from __future__ import annotations

import os

from app import create_app, warm_compiled
from app.background import celery_app_for

if not os.environ.get("REDIS_URL"):
    raise RuntimeError("the Celery worker needs REDIS_URL (its broker and result backend)")

dash_app = create_app()
warm_compiled()  # in the worker's main process, before its pool forks (app.warm_compiled)
celery_app = celery_app_for(os.environ["REDIS_URL"])
app = celery_app  # `celery -A app.celery_app` looks for `app` or `celery`
