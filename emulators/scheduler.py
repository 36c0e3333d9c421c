"""The local stand-in for Cloud Scheduler, run inside the gateway process: one timer per
``schedule``-triggered function, POSTing to it as Cloud Scheduler does in the cloud."""

from __future__ import annotations

import logging
import threading

import httpx

from emulators.stack import HOST, Ports
from mkopo import topology

log = logging.getLogger("mkopo.gateway")


def relay_loop(ports: Ports, interval_s: float, stop: threading.Event) -> None:
    """Every ``interval_s`` POST to each scheduled function, as Cloud Scheduler does in the cloud: one
    timer per function, so a long export run never delays the relay or reconciliation."""
    scheduled = [fn for fn in topology.FUNCTIONS if fn.trigger == "schedule"]
    timers = [
        threading.Thread(target=_timer, args=(ports, fn, local_interval(fn, interval_s), stop))
        for fn in scheduled
    ]
    for timer in timers:
        timer.daemon = True
        timer.start()
    for timer in timers:
        timer.join()


DAILY_SLOWDOWN = 12  # jobs the cloud runs hourly or daily run this many timer intervals apart here


def local_interval(fn: topology.Function, interval_s: float) -> float:
    """Minute-level jobs (relay, exporters, reconciliation) every ``interval_s``; hourly or daily ones
    (arrears) less often: they scan every active loan, and every few seconds is only load."""
    hour_field = (fn.schedule or "* *").split()[1]
    return interval_s if hour_field == "*" else interval_s * DAILY_SLOWDOWN


def _timer(ports: Ports, fn: topology.Function, interval_s: float, stop: threading.Event) -> None:
    with httpx.Client(timeout=60.0, trust_env=False) as client:
        while not stop.wait(interval_s):
            tick(client, ports, fn)


def tick(client: httpx.Client, ports: Ports, fn: topology.Function) -> None:
    """One scheduler tick for one function; failures are logged, never raised."""
    headers = {"X-CloudScheduler": "true", "X-CloudScheduler-JobName": f"{fn.name}-local"}
    try:
        response = client.post(f"http://{HOST}:{ports.function(fn.name)}/", json={}, headers=headers)
    except httpx.HTTPError as exc:
        log.warning("scheduler: %s unreachable (%s)", fn.name, type(exc).__name__)
        return
    if response.status_code >= 400:
        log.warning("scheduler: %s answered %s: %s", fn.name, response.status_code, response.text[:200])
