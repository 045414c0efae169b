"""`python -m stripe_emulator`: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from . import DEFAULT_PORT, DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from .server import EmulatorServer


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
    server = EmulatorServer(
        args.db,
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        publishable_key=args.publishable_key,
        reset=args.reset,
    )
    print(f"Stripe emulator on {server.url}", flush=True)
    print(f"  secret key:      {server.secret_key}", flush=True)
    print(f"  publishable key: {server.publishable_key}", flush=True)
    print(f"  Stripe.js:       {server.url}/v3/", flush=True)
    print(f"  data file:       {args.db}", flush=True)
    # SIGTERM (from a parent process or a container runtime) stops as cleanly as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
