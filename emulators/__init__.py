"""The local mkopo stack: emulators, Pub/Sub wiring, functions, MoMo sandbox and API gateway."""
