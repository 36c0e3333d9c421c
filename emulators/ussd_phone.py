"""A feature phone in the terminal: dial mkopo's USSD code against ``make dev``, as Africa's Talking would.

    python -m emulators.ussd_phone +254700000001 [--url http://127.0.0.1:8000] [--code *384*123#]

Each line you type is one answer; the phone posts every answer so far joined by ``*`` (the provider's
``text``), shows the ``CON`` screen and waits, or shows the ``END`` screen and offers to dial again.
PIN entries are not echoed. ``0`` goes back, ``00`` to the main menu, Ctrl-D hangs up.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import uuid

import httpx

PIN_PROMPTS = ("PIN",)


def post(client: httpx.Client, args: argparse.Namespace, session_id: str, inputs: list[str]) -> str:
    form = {
        "sessionId": session_id,
        "serviceCode": args.code,
        "phoneNumber": args.phone,
        "networkCode": args.network,
        "text": "*".join(inputs),
    }
    response = client.post("/v1/ussd", data=form)
    return response.text if response.status_code == 200 else f"END network error {response.status_code}"


def ask(screen: str) -> str:
    """The caller's answer; hidden when the screen asks for a PIN."""
    if any(word in screen.splitlines()[-1] for word in PIN_PROMPTS):
        return getpass.getpass("> ")
    return input("> ")


def session(client: httpx.Client, args: argparse.Namespace) -> None:
    session_id, inputs = f"ATUid_{uuid.uuid4().hex}", []  # type: str, list[str]
    while True:
        reply = post(client, args, session_id, inputs)
        kind, _, screen = reply.partition(" ")
        print("-" * 30 + f"\n{screen}\n" + "-" * 30)
        if kind != "CON":
            return
        inputs.append(ask(screen).strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A terminal feature phone for mkopo's USSD menu")
    parser.add_argument("phone", help="the caller's number, e.g. +254700000001")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the gateway (make dev)")
    parser.add_argument("--code", default="*384*123#", help="the service code dialled")
    parser.add_argument("--network", default="63902", help="the network code (Safaricom: 63902)")
    args = parser.parse_args(argv)
    print(f"mkopo USSD phone {args.phone}: dialling {args.code} at {args.url}/v1/ussd (Ctrl-D hangs up)")
    with httpx.Client(base_url=args.url, timeout=20.0, trust_env=False) as client:
        try:
            while True:
                session(client, args)
                if input("Dial again? [Y/n] ").strip().lower().startswith("n"):
                    return 0
        except (EOFError, KeyboardInterrupt):
            print("\nhung up")
            return 0
        except httpx.HTTPError as exc:
            print(f"cannot reach {args.url}: {exc} (is make dev running?)", file=sys.stderr)
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
