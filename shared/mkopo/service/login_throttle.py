"""Throttling failed logins so that guessing is slow and a stranger cannot lock a borrower out.

Three counters, each a throttle key in the identity store:
- per phone and client address: ``max_failures`` failures lock that pair for ``lockout_s`` (what a
  borrower who mistypes sees); a stranger elsewhere locks only their own pair;
- per phone from any address: ``phone_max_failures`` in a ``phone_window_s`` window (slower, higher: a
  distributed guess on one account);
- per client address: ``ip_max_failures`` in an ``ip_window_s`` window (one address trying many phones).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from mkopo.service.errors import TooManyRequests
from mkopo.service.identity_store import IdentityStore


@dataclass(frozen=True)
class Limits:
    max_failures: int = 5
    lockout_s: int = 900
    phone_max_failures: int = 50
    phone_window_s: int = 3600
    ip_max_failures: int = 60
    ip_window_s: int = 300
    refresh_ttl_s: int = 30 * 86_400


def _key(kind: str, value: str) -> str:
    return f"{kind}-" + hashlib.sha256(value.encode()).hexdigest()[:40]


def _window(kind: str, value: str, now: datetime, window_s: int) -> tuple[str, datetime]:
    index = int(now.timestamp()) // window_s
    end = datetime.fromtimestamp((index + 1) * window_s, tz=now.tzinfo)
    return _key(kind, f"{value}/{index}"), end


def _retry_after(until: datetime, now: datetime) -> int:
    return int((until - now).total_seconds()) + 1


def locked(until: datetime, now: datetime) -> TooManyRequests:
    return TooManyRequests(
        f"too many failed attempts: this account is locked until {until.isoformat(timespec='seconds')}",
        retry_after_s=_retry_after(until, now),
        locked_until=until.isoformat(timespec="seconds"),
    )


class LoginThrottle:
    """The counters of one login attempt: ``check`` before the password, then ``failed`` or ``succeeded``."""

    def __init__(self, identity: IdentityStore, limits: Limits, *, phone: str, client_ip: str, now: datetime):
        self._identity, self._limits, self._now = identity, limits, now
        self._pair = _key("pair", f"{phone}/{client_ip}")
        self._phone, self._phone_end = _window("phone", phone, now, limits.phone_window_s)
        self._ip, self._ip_end = _window("ip", client_ip, now, limits.ip_window_s)

    def check(self) -> None:
        """Refuse the attempt (429) while this pair is locked or a window is spent."""
        identity, now, lim = self._identity, self._now, self._limits
        state = identity.throttle_state(self._pair)
        if state.locked_until is not None and state.locked_until > now:
            raise locked(state.locked_until, now)
        if identity.throttle_state(self._phone).failures >= lim.phone_max_failures:
            raise TooManyRequests(
                "too many failed logins for this account; try again later",
                retry_after_s=_retry_after(self._phone_end, now),
            )
        if identity.throttle_state(self._ip).failures >= lim.ip_max_failures:
            raise TooManyRequests(
                "too many failed logins from your network; try again later",
                retry_after_s=_retry_after(self._ip_end, now),
            )

    def failed(self) -> None:
        """Count a wrong password on every counter; the failure that reaches the limit locks the pair."""
        identity, now, lim = self._identity, self._now, self._limits
        until = now + timedelta(seconds=lim.lockout_s)
        failures = identity.add_failure(self._pair, expires_at=until)
        identity.add_failure(self._phone, expires_at=self._phone_end)
        identity.add_failure(self._ip, expires_at=self._ip_end)
        if failures >= lim.max_failures:
            identity.lock(self._pair, until)
            raise locked(until, now)

    def succeeded(self) -> None:
        if self._identity.throttle_state(self._pair).failures:
            self._identity.clear(self._pair)
