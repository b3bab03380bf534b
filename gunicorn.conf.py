"""Gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app.wsgi:server`)."""

import os

bind = os.environ.get("PPX_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("PPX_WORKERS", "2"))
timeout = int(os.environ.get("PPX_TIMEOUT", "120"))
accesslog = "-"
# Access log lines carry method, path and status only: no query payloads, no patient data.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
