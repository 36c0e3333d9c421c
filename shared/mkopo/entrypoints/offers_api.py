"""HTTPS function `offers`: compare offers from every lender."""

from __future__ import annotations

from flask import Request

from mkopo.bootstrap import container, utcnow
from mkopo.http.routing import Reply, Router
from mkopo.service import offers, queries

routes = Router()


@routes.route("GET", "/v1/offers")
def list_offers(request: Request) -> Reply:
    c = container()
    query = offers.OfferQuery.model_validate(request.args.to_dict())
    found = offers.compare_offers(query, lenders=c.lenders, store=c.store, now=utcnow(), ttl=c.offer_ttl)
    return Reply(200, {"offers": [queries.offer_view(o) for o in found]})
