"""localstripe's aiohttp application with OneWindow's extensions, built once, before ``web.run_app``."""

from aiohttp import web

from .idempotency import IdempotencyStore, middleware

_built: web.Application | None = None


def build() -> web.Application:
    """localstripe's ``app`` with the refunds, disputes and transfers and the idempotency layer added."""
    global _built  # noqa: PLW0603 - localstripe's app is a module-level singleton; extend it once
    if _built is not None:
        return _built

    from localstripe.resources import store
    from localstripe.server import api_create, api_extra, api_list_all, api_retrieve, api_update, app

    from . import disputes, refunds, transfers

    # localstripe pickles its whole store to /tmp/localstripe.pickle after every write, for its own CLI
    # to reload; this launcher always starts empty and never reads it. Writing it made each request
    # cost O(objects stored) and had every devstripe on the machine overwrite the same file.
    store.dump_to_disk = lambda: None
    refunds.install()
    disputes.install()
    # Specific routes before /{id} ones, as localstripe registers its extra_apis first.
    for method, url, func in disputes.EXTRA_ROUTES + transfers.EXTRA_ROUTES:
        app.router.add_route(method, url, api_extra(func, url))
    for cls, factories in (
        (
            disputes.Dispute,
            (("GET", "s/{id}", api_retrieve), ("POST", "s/{id}", api_update), ("GET", "s", api_list_all)),
        ),
        (
            transfers.Transfer,
            (
                ("POST", "s", api_create),
                ("GET", "s/{id}", api_retrieve),
                ("POST", "s/{id}", api_update),
                ("GET", "s", api_list_all),
            ),
        ),
    ):
        for method, suffix, factory in factories:
            url = f"/v1/{cls.object}{suffix}"
            app.router.add_route(method, url, factory(cls, url))
    keys = IdempotencyStore()

    async def expire_keys(request: web.Request) -> web.Response:
        """Dev only: let a day pass for the saved keys (Stripe forgets a key after 24 hours), so a test
        can check what a retry does once the key no longer protects it."""
        expired = len(keys.saved)
        keys.clear()
        return web.json_response({"expired": expired})

    app.router.add_route("POST", "/_dev/idempotency_keys/expire", expire_keys)
    # Outermost, so it sees (and saves) the answer localstripe's error middleware makes of a UserError.
    app.middlewares.insert(0, middleware(keys))
    _built = app
    return app
