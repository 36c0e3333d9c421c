"""USSD reply latency: whole sessions through the gateway, form-encoded as Africa's Talking sends them.

Each virtual phone dials twice. First session: language, name, PIN, PIN again (registered: the main
menu), my limit, back, borrow 1000, the offers, the first one, PIN (END: checkout submitted). Second
session: PIN, my loan, back, mini-statement, back, my limit. Every request is timed on its own (the
provider waits for each reply, about 15 s at most; the issue's target is p95 under 500 ms) and every reply
is checked (200, ``text/plain``, ``CON``/``END``, the screen expected): a wrong screen counts as an error,
not as a latency.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench import driver
from bench.stats import summary

TARGET_P95_MS = 500
PIN = "4321"
# (input, what the reply must contain): None input dials (an empty ``text``).
REGISTER_AND_BORROW: tuple[tuple[str | None, str], ...] = (
    (None, "1. English"),
    ("1", "full name"),
    ("Bench Phone", "PIN"),
    (PIN, "again"),
    (PIN, "1. Borrow"),
    ("4", "Limit"),
    ("00", "1. Borrow"),
    ("1", "Enter amount"),
    ("1000", "CON 1. "),
    ("1", "Enter PIN to accept"),
    (PIN, "END "),
)
RETURNING: tuple[tuple[str | None, str], ...] = (
    (None, "Enter your PIN"),
    (PIN, "1. Borrow"),
    ("2", "00. Main menu"),  # the loan, or none yet while it is being disbursed
    ("00", "1. Borrow"),
    ("5", "00. Main menu"),
    ("00", "1. Borrow"),
    ("4", "Limit"),
)
SCREENS = {"register": REGISTER_AND_BORROW, "returning": RETURNING}
PIN_SCREENS = frozenset(
    f"{name}[{step}]"
    for name, steps in SCREENS.items()
    for step, (value, _) in enumerate(steps)
    if value == PIN
)


@dataclass
class Phone:
    """One feature phone: its number and the timings (s) of its replies, by screen."""

    client: httpx.Client
    number: str
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)

    def session(self, name: str) -> None:
        session_id, inputs = f"ATUid_bench_{uuid.uuid4().hex}", []  # type: str, list[str]
        for step, (value, expect) in enumerate(SCREENS[name]):
            if value is not None:
                inputs.append(value)
            form = {"sessionId": session_id, "serviceCode": "*384*123#", "phoneNumber": self.number,
                    "networkCode": "63902", "text": "*".join(inputs)}  # fmt: skip
            began = time.perf_counter()
            r = self.client.post("/v1/ussd", data=form)
            elapsed = time.perf_counter() - began
            ok = r.status_code == 200 and r.headers.get("content-type", "").startswith("text/plain")
            if not (ok and r.text.startswith(("CON ", "END ")) and expect in r.text):
                self.errors.append(f"{name}[{step}] {r.status_code}: {r.text[:80]!r}")
                return  # the rest of the session would measure error screens
            self.timings[f"{name}[{step}]"].append(elapsed)

    def run(self) -> None:
        self.session("register")
        self.session("returning")


def sessions(client: httpx.Client, numbers: Sequence[str], concurrency: int) -> dict[str, Any]:
    """Drive every number's two sessions, ``concurrency`` phones at a time; per-request ms summary."""
    phones = [Phone(client, n) for n in numbers]
    began = time.monotonic()
    driver.run_concurrent([p.run for p in phones], concurrency)
    wall_s = time.monotonic() - began
    per_request = [t * 1000 for p in phones for ts in p.timings.values() for t in ts]
    out: dict[str, Any] = summary(per_request, (50, 95))
    out["max"] = round(max(per_request, default=0.0), 1)
    out["sessions"] = 2 * len(phones)
    out["errors"] = [e for p in phones for e in p.errors][:5]
    out["error_count"] = sum(len(p.errors) for p in phones)
    out["requests_per_s"] = round(len(per_request) / wall_s, 1) if wall_s > 0 else 0.0
    by_screen: dict[str, list[float]] = defaultdict(list)
    for p in phones:
        for screen, ts in p.timings.items():
            by_screen[screen].extend(t * 1000 for t in ts)
    out["p95_by_screen"] = {s: summary(v, (95,))["p95"] for s, v in sorted(by_screen.items())}
    pin = [t for s, v in by_screen.items() if s in PIN_SCREENS for t in v]
    out["p95_pin_screens"] = summary(pin, (95,))["p95"]  # argon2: hash or verify on these replies
    out["p95_other_screens"] = summary([t for s, v in by_screen.items() if s not in PIN_SCREENS for t in v],
                                       (95,))["p95"]  # fmt: skip
    out["load_avg_1min"] = round(os.getloadavg()[0], 1)  # the machine is shared: read figures with it
    out["meets_target"] = out["p95"] < TARGET_P95_MS and not out["error_count"]
    return out


def ussd_latency(client: httpx.Client, numbers: Sequence[str], levels: Sequence[int]) -> dict[str, Any]:
    """One warm-up phone (the function's cold start and lazy clients), then each concurrency level with
    its own share of ``numbers`` (a phone registers once)."""
    sessions(client, numbers[:1], 1)
    out: dict[str, Any] = {"target_p95_ms": TARGET_P95_MS}
    share = (len(numbers) - 1) // len(levels)
    for i, level in enumerate(levels):
        out[str(level)] = sessions(client, numbers[1 + i * share : 1 + (i + 1) * share], level)
        time.sleep(1)
    return out
