"""What the mobile-money adapters share: an HTTP session with a cached access token, and error-body helpers.

A ``TokenSession`` holds a lazily created, thread-safe ``httpx.Client`` and an access token cached until
shortly before it expires. An authorised call whose token the provider rejects fetches a new token once and
retries; a second rejection raises the provider's authentication error. Transport faults (timeouts,
connection errors) become ``ProviderUnavailable``. Subclasses say how to request a token and which headers
carry it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import httpx

from mkopo import metering
from mkopo.service.ports import ProviderAnswerLost, ProviderUnavailable

TOKEN_REFRESH_MARGIN_S = 60.0
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


@dataclass(frozen=True)
class ApiErrors:
    """How one provider API reports errors: its name in our messages and the error-code field it uses."""

    label: str
    code_field: str

    def code(self, response: httpx.Response) -> str | None:
        """The provider's error code from an error body, if any."""
        code = json_object(response).get(self.code_field)
        return str(code) if code else None

    def unavailable(self, response: httpx.Response) -> ProviderUnavailable:
        """A ``ProviderUnavailable`` for an answer we cannot act on (5xx, 429, unexpected codes)."""
        detail = self.code(response) or response.text[:200]
        return ProviderUnavailable(f"{self.label} answered HTTP {response.status_code}: {detail}")


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or {} if it is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class TokenSession:
    """A lazily created HTTP client plus a cached access token for one provider API (abstract)."""

    errors: ClassVar[ApiErrors]  # error-body format and the provider's name in ProviderUnavailable messages
    auth_error: ClassVar[type[ProviderUnavailable]]  # raised when credentials or a fresh token are refused
    auth_label: ClassVar[str]  # the provider's name in authentication errors
    credentials: ClassVar[str]  # what our credentials are called in authentication errors
    credentials_statuses: ClassVar[frozenset[int]] = frozenset({401, 403})  # token endpoint: bad credentials

    def __init__(
        self,
        *,
        base_url: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._client = client
        self._owns_client = client is None
        self._transport = transport
        self._clock = clock
        self._lock = threading.RLock()
        self._token: str | None = None
        self._token_expires_at = 0.0

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authorised API call; a rejected token is refreshed once and the call retried."""
        response = self._request(method, path, self._token_value(), **kwargs)
        if not self._token_rejected(response):
            return response
        response = self._request(method, path, self._token_value(force=True), **kwargs)
        if self._token_rejected(response):
            code = self.errors.code(response)
            raise self.auth_error(f"{self.auth_label} refused a fresh access token: {code}")
        return response

    def close(self) -> None:
        """Close the HTTP client if this session created it."""
        with self._lock:
            if self._client is not None and self._owns_client:
                self._client.close()
                self._client = None

    def _auth_headers(self, token: str) -> dict[str, str]:
        """The headers that authorise an API call."""
        return {"Authorization": f"Bearer {token}"}

    def _token_rejected(self, response: httpx.Response) -> bool:
        """Whether the provider refused our bearer token."""
        return response.status_code == 401

    def _request_token(self, http: httpx.Client) -> httpx.Response:
        """Ask the provider's token endpoint for a new access token."""
        raise NotImplementedError

    def _expires_in(self, body: dict[str, Any]) -> float:
        """The token's lifetime in seconds from the token response body."""
        raise NotImplementedError

    def _request(
        self, method: str, path: str, token: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One HTTP call with the auth headers; transport faults become ``ProviderUnavailable``."""
        all_headers = {**self._auth_headers(token), **(headers or {})}
        metering.count(metering.PROVIDER_CALLS)
        try:
            return self._http().request(method, path, headers=all_headers, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ProviderUnavailable(f"{self.errors.label} {method} {path} not sent: {exc!r}") from exc
        except httpx.HTTPError as exc:  # sent, perhaps acted on, but the answer is lost
            raise ProviderAnswerLost(f"{self.errors.label} {method} {path} got no answer: {exc!r}") from exc

    def _token_value(self, *, force: bool = False) -> str:
        """A cached access token, fetched when missing, near expiry or ``force``d."""
        with self._lock:
            if force or self._token is None or self._clock() >= self._token_expires_at:
                self._token, self._token_expires_at = self._fetch_token()
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        """A new access token and the monotonic time at which to stop using it."""
        label = self.errors.label
        metering.count(metering.PROVIDER_CALLS)
        try:
            response = self._request_token(self._http())
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{label} token request failed: {exc!r}") from exc
        if response.status_code in self.credentials_statuses:
            status = response.status_code
            raise self.auth_error(f"{self.auth_label} rejected our {self.credentials}: HTTP {status}")
        if response.status_code != 200:
            raise self.errors.unavailable(response)
        body = json_object(response)
        token, expires_in = body.get("access_token"), self._expires_in(body)
        if not isinstance(token, str) or not token:
            raise ProviderUnavailable(f"{label} token response has no access_token")
        return token, self._clock() + max(expires_in - TOKEN_REFRESH_MARGIN_S, expires_in / 2)

    def _http(self) -> httpx.Client:
        """The cached HTTP client, created on first use."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self._base_url, timeout=self._timeout, transport=self._transport
                )
            return self._client


class SessionProvider:
    """Mixin for a provider that talks through ``self._session``; closing the provider closes the session."""

    _session: TokenSession

    def close(self) -> None:
        """Close the session's HTTP client if the session created it."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
