"""gunicorn settings for `make run` and production; override with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

from gunicorn import glogging

from joinrun.log_redaction import RedactAddresses

wsgi_app = "joinrun.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
timeout = 30
graceful_timeout = 10
# Django writes the access log (privacy.middleware.AccessLogMiddleware) with truncated
# addresses; gunicorn's own access log would record full ones, so it stays off.
accesslog = None
errorlog = "-"


class RedactingLogger(glogging.Logger):
    """gunicorn's error log names clients ("Invalid request from ip=…") and quotes URLs
    ("Error handling request POST /path?token=…"): truncate the one, drop query strings."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactAddresses())


logger_class = RedactingLogger
# Behind a TLS proxy, trust its X-Forwarded-* headers (set FORWARDED_ALLOW_IPS to it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# No control socket: several servers (tests, a local run) may share one machine.
control_socket_disable = True
