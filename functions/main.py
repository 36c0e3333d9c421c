"""Every mkopo Cloud Function entry point: decode → one handler → respond. No business logic here.

Each entry point is named in mkopo.topology; the routing and decoding live in mkopo.entrypoints.
Each function imports only its own entry-point module, on its first call, and builds its app from the
process's container once (cold start matters: a process pays for what it serves and nothing else).
"""

from __future__ import annotations

import importlib
import json
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

import functions_framework
from cloudevents.http import CloudEvent
from flask import Request, Response
from werkzeug.exceptions import HTTPException

from mkopo import metering
from mkopo.http import logs
from mkopo.http.problems import problem

if TYPE_CHECKING:
    from mkopo.entrypoints.container import AppContainer

logs.configure(logging.INFO)  # one JSON line per record, in Cloud Logging's format, redacted


def _framework_error(exc: HTTPException) -> Response:
    """What functions-framework answers itself (/robots.txt, a GET to an event function) as a problem."""
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem(exc.code or 500, exc.name, exc.description or exc.name, headers=headers)


# functions-framework runs this module inside its app's context and exposes that app's errorhandler.
functions_framework.errorhandler(HTTPException)(_framework_error)


def _container() -> AppContainer:
    from mkopo import bootstrap

    return bootstrap.container()


@cache
def _built(module: str, factory: str) -> Any:
    """``mkopo.entrypoints.<module>.<factory>(container)``, imported and built on first use."""
    return getattr(importlib.import_module(f"mkopo.entrypoints.{module}"), factory)(_container())


def _serve(module: str, request: Request) -> Response:
    try:
        response: Response = _built(module, "create_app")(request)
    finally:
        metering.invoked()
    return response


def _job(name: str) -> Response:
    try:
        reply = getattr(_built("jobs", "create_jobs"), name)()
    finally:
        metering.invoked()
    return Response(json.dumps(reply.body), status=reply.status, mimetype="application/json")


def _consume(name: str, event: CloudEvent) -> None:
    try:
        getattr(_built("consumers", "create_consumers"), name)(event.data)
    finally:
        metering.invoked()


# --- HTTPS --------------------------------------------------------------------------------------
@functions_framework.http
def auth(request: Request) -> Response:
    return _serve("auth_api", request)


@functions_framework.http
def offers(request: Request) -> Response:
    return _serve("offers_api", request)


@functions_framework.http
def checkout(request: Request) -> Response:
    return _serve("checkout_api", request)


@functions_framework.http
def status(request: Request) -> Response:
    return _serve("status_api", request)


@functions_framework.http
def loans(request: Request) -> Response:
    return _serve("loans_api", request)


@functions_framework.http
def backoffice(request: Request) -> Response:
    return _serve("backoffice_api", request)


@functions_framework.http
def payment_callbacks(request: Request) -> Response:
    return _serve("callbacks_api", request)


@functions_framework.http
def ussd(request: Request) -> Response:
    return _serve("ussd_api", request)


# --- scheduled ----------------------------------------------------------------------------------
@functions_framework.http
def outbox_relay(request: Request) -> Response:
    return _job("relay_outbox")


@functions_framework.http
def reconciliation(request: Request) -> Response:
    return _job("reconcile")


@functions_framework.http
def arrears(request: Request) -> Response:
    return _job("arrears")


@functions_framework.http
def provisioning(request: Request) -> Response:
    return _job("provision")


@functions_framework.http
def bureau(request: Request) -> Response:
    return _job("bureau")


@functions_framework.http
def score_stability(request: Request) -> Response:
    return _job("score_stability")


@functions_framework.http
def exporter(request: Request) -> Response:
    return _job("export_events")


@functions_framework.http
def audit_exporter(request: Request) -> Response:
    return _job("export_audit")


# --- Pub/Sub ------------------------------------------------------------------------------------
@functions_framework.cloud_event
def scoring(event: CloudEvent) -> None:
    _consume("score", event)


@functions_framework.cloud_event
def confirm_payment(event: CloudEvent) -> None:
    _consume("decide", event)


@functions_framework.cloud_event
def disbursement(event: CloudEvent) -> None:
    _consume("disburse", event)


@functions_framework.cloud_event
def notify(event: CloudEvent) -> None:
    _consume("notify", event)
