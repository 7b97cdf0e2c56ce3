"""Run localstripe (a fake Stripe for development and tests) on loopback only.

``localstripe --port N`` listens on every interface (it binds ``::``); this runs the same aiohttp
application bound to 127.0.0.1, starting from an empty store. Usage:

    python -m marketplace.payments.devstripe --port 8420 \
        [--webhook-url http://127.0.0.1:8000/payments/stripe/webhook/ --webhook-secret whsec_...]

With ``--webhook-url`` it delivers every event, signed with the secret, to that URL (as
``POST /_config/webhooks/<id>`` would, but without a second process racing the start-up).
"""

import argparse
import logging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url", help="deliver signed events to this URL")
    parser.add_argument("--webhook-secret", help="the signing secret for --webhook-url")
    args = parser.parse_args()
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")

    from aiohttp import web
    from localstripe.server import app
    from localstripe.webhooks import register_webhook

    if args.webhook_url:
        register_webhook("onewindow", args.webhook_url, args.webhook_secret, None)

    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
