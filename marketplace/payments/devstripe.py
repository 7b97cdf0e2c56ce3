"""Run localstripe (a fake Stripe for development and tests) on loopback only.

``localstripe --port N`` listens on every interface (it binds ``::``); this runs the same aiohttp
application bound to 127.0.0.1, starting from an empty store. Usage:

    python -m marketplace.payments.devstripe --port 8420
"""

import argparse
import logging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    from aiohttp import web
    from localstripe.server import app

    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
