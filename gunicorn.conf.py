"""Gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app.wsgi:server`).

Every value can be overridden by an environment variable (PPX_BIND, PPX_WORKERS, PPX_TIMEOUT, ...).
"""

import os

bind = os.environ.get("PPX_BIND", "127.0.0.1:8050")
# Threaded workers (gthread): 2 processes per core, at most 8, each with PPX_THREADS threads (default 4).
# A slow client (a large upload on a poor link, or one sending a byte a second) holds one thread, not the
# whole worker, so /healthz and other users are answered meanwhile; the main thread keeps the heartbeat,
# so a long request cannot get its worker killed. Analyses are CPU-bound: long ones run as background jobs.
worker_class = "gthread"
workers = int(os.environ.get("PPX_WORKERS") or max(2, min(8, 2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("PPX_THREADS", "4"))
# Heartbeat: a worker whose main thread is silent this long is restarted (requests run in the threads, so a slow
# request does not silence it); long jobs run as background callbacks anyway.
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
# Request limits. The body size limit is the app's (PPX_MAX_REQUEST_MB, app/limits.py): a declared length over
# it gets a 413 before any of the body is read, and a chunked body is cut off with a 413 at the limit.
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


def when_ready(server: object) -> None:
    """In the master, before any worker is forked: load the compiled concordance loop once, so that every worker and
    the background jobs it forks count a large cohort's Cox concordance with it (``app.warm_compiled``;
    PPX_COMPILED=0 skips it)."""
    from app import warm_compiled

    warm_compiled()
