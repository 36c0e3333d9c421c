"""Pub/Sub function `audit-exporter`: audit records (relayed from the outbox) into BigQuery."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any

from pydantic import ValidationError

from mkopo import topology
from mkopo.bootstrap import container, utcnow
from mkopo.service import audit_export
from mkopo.service.store import AuditRecord

log = logging.getLogger(__name__)


def export(cloud_event_data: Any) -> None:
    """Export one record; a message that is not an audit record is dead-lettered, faults are retried."""
    c = container()
    try:
        raw = base64.b64decode(cloud_event_data["message"]["data"], validate=True)
        record = AuditRecord.model_validate(json.loads(raw))
    except (KeyError, TypeError, ValueError, binascii.Error, ValidationError) as exc:
        log.error("dead-lettering a message audit-exporter cannot process: %s", type(exc).__name__)
        data = json.dumps(cloud_event_data, default=str).encode()
        c.publisher.publish_raw(
            topology.DEAD_LETTER, data, {"consumer": "audit-exporter", "reason": type(exc).__name__}
        )
        return
    audit_export.export_audit(record, store=c.store, sink=c.audit_sink, now=utcnow())
