"""Gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app.wsgi:server`).

Every value can be overridden by an environment variable (PPX_BIND, PPX_WORKERS, PPX_TIMEOUT, ...).
"""

import os

bind = os.environ.get("PPX_BIND", "127.0.0.1:8050")
# Sync workers: an analysis is CPU-bound, so one request per worker process; 2 per core, at most 8.
workers = int(os.environ.get("PPX_WORKERS") or max(2, min(8, 2 * (os.cpu_count() or 1))))
# A synchronous callback may fit a model for a few seconds; long jobs run as background callbacks.
timeout = int(os.environ.get("PPX_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so memory cannot creep (jitter: not all at once).
max_requests = int(os.environ.get("PPX_MAX_REQUESTS", "10000"))
max_requests_jitter = 2000
# Preload is safe: create_app() opens no sockets or files that a fork would share (the Redis
# clients connect lazily and check their pid; diskcache reopens its SQLite per process), and
# the bundled cohort is loaded lazily per worker. Set PPX_PRELOAD=0 to turn it off.
preload_app = os.environ.get("PPX_PRELOAD", "1") != "0"
# Request limits (the body size limit is the app's MAX_CONTENT_LENGTH, PPX_MAX_REQUEST_MB).
limit_request_line = 8190
limit_request_fields = 100
# Heartbeat files in memory (containers often have a slow or read-only /tmp).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# Logs: the app writes one JSON line per request (path, callback, status, duration; no data)
# to stderr, so gunicorn's own access log is off; its error log keeps start/stop/worker events.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("PPX_LOG_LEVEL", "info")
# No control socket: nothing uses it, and its default path in $HOME would be shared by every instance.
control_socket_disable = True
