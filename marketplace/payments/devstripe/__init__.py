"""Run localstripe (a fake Stripe for development and tests) on loopback only, with more of Stripe's API.

``localstripe --port N`` listens on every interface (it binds ``::``); this runs the same aiohttp
application bound to 127.0.0.1, starting from an empty store. Usage:

    python -m marketplace.payments.devstripe --port 8420 \\
        [--webhook-url http://127.0.0.1:8000/payments/stripe/webhook/ --webhook-secret whsec_...]

With ``--webhook-url`` it delivers every event, signed with the secret, to that URL (as
``POST /_config/webhooks/<id>`` would, but without a second process racing the start-up).

localstripe itself is not edited; ``app.build()`` extends its application before it runs, with
the shapes and errors of Stripe's API reference:

- ``idempotency``: ``Idempotency-Key`` on every ``POST`` — replay (``Idempotent-Replayed: true``),
  400 ``idempotency_error`` for other parameters, 409 while the first is in flight, 24 h expiry.
- ``refunds``: refunds capped at what is left on the charge (``amount_too_large``,
  ``charge_already_refunded``, ``charge_disputed``), ``charge.refunded`` and ``refund.created``
  events, refunds and charges listed by ``payment_intent``.
- ``disputes``: ``/v1/disputes`` (retrieve, list, evidence, close), the test card
  4000000000000259, and ``POST /_dev/disputes`` to open one on a chosen charge.
- ``transfers``: ``/v1/transfers`` and ``/v1/transfers/{id}/reversals`` (Connect).

Every new event goes out through localstripe's own webhook delivery, signed.
"""
