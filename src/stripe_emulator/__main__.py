"""`python -m stripe_emulator`: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .hosting import ports, standalone
from .hosting.defaults import DEFAULT_PORT, DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .store import Store


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator",
        description="A local, stateful Stripe emulator for test mode payments.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("instance/emulator.db"),
        help="SQLite file holding every object (created if missing)",
    )
    parser.add_argument("--reset", action="store_true", help="wipe the data file first")
    parser.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    parser.add_argument("--publishable-key", default=DEFAULT_PUBLISHABLE_KEY)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Start the server and print how to reach it."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    if not args.secret_key.startswith("sk_test_") or not args.publishable_key.startswith(
        "pk_test_"
    ):
        print("keys must be test mode keys (sk_test_..., pk_test_...)", file=sys.stderr)
        return 2
    if args.reset:
        store = Store(args.db)
        store.reset()
        store.close()
    port = args.port or ports.free_port(args.host)
    if not ports.port_is_free(args.host, port):
        # granian binds with SO_REUSEPORT: a second emulator would share the port silently.
        print(f"port {port} on {args.host} is in use; choose another with --port", file=sys.stderr)
        return 2
    url = f"http://{args.host}:{port}"

    def announce() -> None:
        # Called once the port accepts connections: whoever reads this can connect at once.
        print(f"Stripe emulator on {url}", flush=True)
        print(f"  secret key:      {args.secret_key}", flush=True)
        print(f"  publishable key: {args.publishable_key}", flush=True)
        print(f"  Stripe.js:       {url}/v3/", flush=True)
        print(f"  data file:       {args.db}", flush=True)

    # granian stops on SIGINT (Ctrl-C) and SIGTERM (a parent process, a container runtime).
    standalone.serve(
        args.db,
        host=args.host,
        port=port,
        secret_key=args.secret_key,
        publishable_key=args.publishable_key,
        verbose=args.verbose,
        on_listening=announce,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
