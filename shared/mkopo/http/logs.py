"""Structured JSON logs in the shape Cloud Logging reads, with personal data and secrets redacted.

Every line carries ``severity``, ``message``, ``time``, ``logger``, the request id and, inside a traced hop,
``logging.googleapis.com/trace`` (``projects/P/traces/T``), ``spanId`` and ``trace_sampled``. Phone
numbers are masked to their last three digits;
JWTs, bearer tokens, refresh tokens and password fields are replaced.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any

from mkopo import request_context

_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO", "DEBUG": "DEBUG"}
_REDACTIONS: tuple[tuple[re.Pattern[str], str | Any], ...] = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "[jwt]"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/-]+=*"), r"\1[redacted]"),
    (
        re.compile(
            r'(?i)("?(?:password|new_password|current_password|refresh_token|access_token|secret|'
            r'authorization)"?\s*[:=]\s*)("[^"]*"|[^\s,}]+)'
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"\+\d{6,12}(\d{3})\b"), r"***\1"),
    (re.compile(r"\b(?:2[3-6]\d)\d{6,9}(\d{3})\b"), r"***\1"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class CloudLoggingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelname, "DEFAULT"),
            "message": redact(record.getMessage()),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["message"] += "\n" + redact(self.formatException(record.exc_info))
        request_id = request_context.request_id.get()
        if request_id:
            entry["request_id"] = request_id
            entry["logging.googleapis.com/labels"] = {"request_id": request_id}
        span = request_context.span.get()
        if span is not None:
            entry["logging.googleapis.com/trace"] = f"projects/{project_id()}/traces/{span.context.trace_id}"
            entry["logging.googleapis.com/spanId"] = span.context.span_id
            entry["logging.googleapis.com/trace_sampled"] = span.context.sampled
        extra = getattr(record, "http", None)
        if isinstance(extra, dict):
            entry["httpRequest"] = extra
        fields = getattr(record, "json_fields", None)  # jsonPayload fields a log-based metric can extract
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in entry})
        return json.dumps(entry, default=str)


_configured = False


def configure(level: int = logging.INFO) -> None:
    """Send every log record to stdout as one JSON line (idempotent)."""
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(CloudLoggingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "google", "httpx", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def project_id() -> str:
    return os.environ.get("MKOPO_PROJECT_ID") or os.environ.get("GOOGLE_CLOUD_PROJECT") or "mkopo-local"
