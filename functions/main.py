"""Every mkopo Cloud Function entry point: decode → one handler → respond. No business logic here.

Each entry point is named in mkopo.topology; the routing and decoding live in mkopo.entrypoints.
"""

from __future__ import annotations

import json
import logging

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response

from mkopo.entrypoints import auth_api, checkout_api, consumers, jobs, offers_api, status_api
from mkopo.http import logs
from mkopo.http.routing import Reply

logs.configure(logging.INFO)  # one JSON line per record, in Cloud Logging's format, redacted


# --- HTTPS --------------------------------------------------------------------------------------
@functions_framework.http
def auth(request: Request) -> Response:
    return auth_api.routes(request)


@functions_framework.http
def offers(request: Request) -> Response:
    return offers_api.routes(request)


@functions_framework.http
def checkout(request: Request) -> Response:
    return checkout_api.routes(request)


@functions_framework.http
def status(request: Request) -> Response:
    return status_api.routes(request)


@functions_framework.http
def loans(request: Request) -> Response:
    from mkopo.entrypoints import loans_api

    return loans_api.routes(request)


@functions_framework.http
def backoffice(request: Request) -> Response:
    from mkopo.entrypoints import backoffice_api

    return backoffice_api.routes(request)


@functions_framework.http
def payment_callbacks(request: Request) -> Response:
    from mkopo.entrypoints import callbacks_api

    return callbacks_api.routes(request)


# --- scheduled ----------------------------------------------------------------------------------
def _job(reply: Reply) -> Response:
    return Response(json.dumps(reply.body), status=reply.status, mimetype="application/json")


@functions_framework.http
def outbox_relay(request: Request) -> Response:
    return _job(jobs.relay_outbox())


@functions_framework.http
def reconciliation(request: Request) -> Response:
    return _job(jobs.reconcile())


@functions_framework.http
def arrears(request: Request) -> Response:
    return _job(jobs.arrears())


# --- Pub/Sub ------------------------------------------------------------------------------------
@functions_framework.cloud_event
def scoring(event: CloudEvent) -> None:
    consumers.score(event.data)


@functions_framework.cloud_event
def confirm_payment(event: CloudEvent) -> None:
    consumers.decide(event.data)


@functions_framework.cloud_event
def disbursement(event: CloudEvent) -> None:
    consumers.disburse(event.data)


@functions_framework.cloud_event
def notify(event: CloudEvent) -> None:
    consumers.notify(event.data)


@functions_framework.cloud_event
def exporter(event: CloudEvent) -> None:
    consumers.export(event.data)


@functions_framework.cloud_event
def audit_exporter(event: CloudEvent) -> None:
    from mkopo.entrypoints import audit_exporter as audit_export

    audit_export.export(event.data)
