"""HTTPS function `offers`: compare offers from every lender; the API's OpenAPI document and docs page."""

from __future__ import annotations

import json

from flask import Request, Response

from mkopo.entrypoints.app import Api
from mkopo.entrypoints.container import AppContainer
from mkopo.entrypoints.identity import current_user
from mkopo.http import schemas
from mkopo.http.routing import Reply, Router, query_params
from mkopo.service import credit, offers, queries

api = Api()


def create_app(container: AppContainer) -> Router:
    return api.bind(container)


@api.route(
    "GET",
    "/v1/offers",
    summary="Offers from every lender that fit the request, cheapest APR first, every cost disclosed; "
    "with a bearer token, each says whether it fits your available limit",
    query=offers.OfferQuery,
    responses={200: schemas.OfferList},
    tags=("offers",),
)
def list_offers(c: AppContainer, request: Request) -> Reply:
    query = query_params(request, offers.OfferQuery)
    found = offers.compare_offers(query, lenders=c.lenders, store=c.store, now=c.now(), ttl=c.offer_ttl)
    views = [queries.offer_view(o) for o in found]
    if request.headers.get("Authorization"):
        user = current_user(c, request)
        line = credit.credit_line(
            user, store=c.store, credit_data=c.credit_data, terms=c.settings.credit_terms()
        )
        views = [view | credit.eligibility(offer, line) for view, offer in zip(views, found, strict=True)]
    return Reply(200, {"offers": views})


@api.route("GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", raw=True)
def openapi(c: AppContainer, request: Request) -> Response:
    from mkopo.http.openapi import document

    response = Response(json.dumps(document()), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@api.route("GET", "/docs", summary="Human-readable API documentation", raw=True)
def docs(c: AppContainer, request: Request) -> Response:
    from mkopo.http.openapi import docs_html, style_hash

    response = Response(docs_html(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src '{style_hash()}'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
