"""Errors a handler raises for the entrypoint to map to an HTTP problem or a Pub/Sub outcome."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(ServiceError):
    status, title = 404, "Not found"


class AlreadyExists(ServiceError):
    status, title = 409, "Conflict"


class Unprocessable(ServiceError):
    status, title = 422, "Unprocessable request"


class Unauthorized(ServiceError):
    status, title = 401, "Unauthorized"


class TransientFailure(Exception):
    """Worth retrying later (provider down, payout still pending): the message is redelivered."""


class Forbidden(ServiceError):
    status, title = 403, "Forbidden"


class TooManyRequests(ServiceError):
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int, locked_until: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s, self.locked_until = max(1, retry_after_s), locked_until
