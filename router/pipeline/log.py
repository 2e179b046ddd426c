"""The request id in every log line of a request: a context variable that the pipeline sets
for the request's task (tasks it starts inherit it) and a logging filter that reads it."""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("mosaic_request_id", default="-")
ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # a client's id that is safe to log and echo
LOGGER = "mosaic.router"
FORMAT = "%(asctime)s %(levelname)s %(name)s [request %(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def new_request_id(offered: bytes | None) -> str:
    """The client's x-request-id when it is a plain token, else a new random one."""
    if offered:
        text = offered.decode("latin-1")
        if ACCEPTED.match(text):
            return text
    return os.urandom(12).hex()


def install() -> None:
    """Attach the filter to the router's logger (idempotent): records carry `request_id`."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, RequestIdFilter) for f in logger.filters):
        logger.addFilter(RequestIdFilter())


def configure(level: int = logging.INFO) -> None:
    """For serving processes: print the router's log lines with their request id."""
    install()
    logger = logging.getLogger(LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
