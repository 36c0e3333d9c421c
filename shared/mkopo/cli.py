"""Operator commands. The first admin (and, if wanted, officers) are created here, never through an open
endpoint:

    python -m mkopo.cli create-admin --phone +254700000900 --name "Asha Admin"   # password from stdin
    MKOPO_ADMIN_PASSWORD=... python -m mkopo.cli create-admin --phone ... --name ...
    python -m mkopo.cli create-officer --phone +254700000901 --name "Otieno O"   # a credit officer

It writes to the Firestore the environment points at (FIRESTORE_EMULATOR_HOST locally, the project's
database in the cloud, with the operator's credentials). Further staff accounts: POST /v1/users as an admin.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from pydantic import ValidationError

COMMANDS = {"create-admin": "admin", "create-officer": "officer"}


def create_staff(argv: list[str], role: str = "admin") -> int:
    parser = argparse.ArgumentParser(prog=f"mkopo create-{role}", description=f"create an {role} account")
    parser.add_argument("--phone", required=True, help=f"the {role}'s mobile number, e.g. +254700000900")
    parser.add_argument("--name", required=True, help="full name")
    args = parser.parse_args(argv)
    password = os.environ.get("MKOPO_ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")

    from mkopo.bootstrap import container, utcnow
    from mkopo.service import accounts
    from mkopo.service.errors import AlreadyExists

    try:
        cmd = accounts.RegisterUser(phone=args.phone, password=password, full_name=args.name)
    except ValidationError as exc:
        print(f"invalid: {exc.errors(include_url=False, include_input=False)}", file=sys.stderr)
        return 2
    c = container()
    try:
        if role == "admin":
            user_id = accounts.create_admin(cmd, store=c.store, hasher=c.hasher, now=utcnow())
        else:
            user_id = accounts.register(
                cmd, store=c.store, hasher=c.hasher, now=utcnow(), role=accounts.Role(role)
            )
    except AlreadyExists:
        print("an account with this phone number already exists", file=sys.stderr)
        return 1
    print(user_id)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(
            "usage: python -m mkopo.cli create-admin|create-officer --phone PHONE --name NAME",
            file=sys.stderr,
        )
        return 2
    return create_staff(args[1:], COMMANDS[args[0]])


if __name__ == "__main__":
    sys.exit(main())
