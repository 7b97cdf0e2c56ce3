"""``python -m marketplace.payments.devstripe --port N [--webhook-url U --webhook-secret S]``: see __init__."""

import argparse
import logging

from marketplace.payments import devstripe


def main() -> None:
    parser = argparse.ArgumentParser(description=devstripe.__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--webhook-url", help="deliver signed events to this URL")
    parser.add_argument("--webhook-secret", help="the signing secret for --webhook-url")
    args = parser.parse_args()
    if bool(args.webhook_url) != bool(args.webhook_secret):
        parser.error("--webhook-url and --webhook-secret go together")

    from aiohttp import web
    from localstripe.webhooks import register_webhook

    from .app import build

    app = build()
    if args.webhook_url:
        register_webhook("onewindow", args.webhook_url, args.webhook_secret, None)

    logging.basicConfig(level=logging.INFO)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
