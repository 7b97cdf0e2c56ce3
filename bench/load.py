"""Load on a running OneWindow: per-page latency at a steady number of browsing users, and the
throughput at saturation. Locust (headless, as a library) drives a realistic mix: anonymous visitors
(home, search, a service item, a listing, a provider profile, requests, the verifier, statistics, the
transparency log), buyers (their orders, an order, notifications) and providers (console, quotes).

    make serve                                  # another terminal: the production shape
    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/load.py --host http://127.0.0.1:8000 --users 50 --seconds 60

Each row: requests, failures, p50 / p95 / p99 in ms, and p95 over the baseline's p95. The baseline is
the favicon redirect (``/favicon.ico``: routing and middleware, no
database, no template), measured in the same run, so the ratio says what a page costs beyond the
server's fixed overhead on this machine; "cached" is the share served from the page cache
(``X-Page-Cache: hit``, marketplace/core/page_cache.py). Then ``--saturate-seconds`` with
``--saturate-users`` users and no think time: requests per second and p95. Targets (issue 22): every
page p95 <= 60 ms at 50 users; >= 200 requests/s at saturation; no failures.

``--warmup-seconds`` browses that long after the logins before measuring: without it, a run against a
just-started server counts the first render of every page it meets (each session's own pages
included) in the measured window.

The browsing users only read. ``--writers N`` adds N buyers who each post a message on an order every
``--write-interval`` seconds, in both phases: every write retires the cached pages made from the
tables it touched, so that run shows what the cache is worth while the site is being written to.

The users are locust's ``FastHttpUser`` (geventhttpclient): on one machine the client shares the
cores with the server, and it costs a fraction of the CPU per request that python-requests does.
Each run starts its users, lets the signed-in ones log in, prints those logins on their own and
then measures steady browsing (see ``run``).

The demo logins (``make demo`` / ``make serve`` load them) must exist; their password is the demo's.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # before anything imports ssl or socket: locust runs on gevent

import argparse
import random
import re
import sys
import time

import gevent
import requests
from locust import FastHttpUser, between, constant, task
from locust.env import Environment

PASSWORD = "onewindow-demo"  # noqa: S105 - the demo accounts' published password
BUYER, PROVIDER = "buyer@demo.onewindow.local", "provider@demo.onewindow.local"
PAGES: dict[str, list[str]] = {}
SETTLE_SECONDS = 3  # after the last login: the queue it left drains before the measured window


def discover(host: str) -> None:
    """Real addresses from the demo data, found the way a visitor finds them: by following links."""
    get = requests.Session().get
    home = get(f"{host}/").text
    search = get(f"{host}/search/?q=assessment").text
    PAGES["service_item"] = re.findall(r'href="(/catalogue/category/[^"]+/)"', home)[:5]
    PAGES["listing"] = re.findall(r'href="(/catalogue/[a-z0-9-]+_\d+/)"', search)[:10]
    providers = set()
    for listing in PAGES["listing"][:5]:
        providers |= set(re.findall(r'href="(/providers/\d+/)"', get(f"{host}{listing}").text))
    PAGES["provider"] = sorted(providers)[:10]
    requests_page = get(f"{host}/requests/").text
    PAGES["request"] = sorted(set(re.findall(r'href="(/requests/\d+/)"', requests_page)))[:10]
    for name, found in PAGES.items():
        if not found:
            sys.exit(f"Found no {name} page on {host}: is the demo data loaded?")


def log_in(client, email: str) -> None:
    page = client.get("/accounts/login/", name="login page")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    client.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "login-username": email, "login-password": PASSWORD, "login_submit": "1"},
        headers={"Referer": client.base_url + "/accounts/login/"},
        name="log in",
    )


def pick(kind: str) -> str:
    return random.choice(PAGES[kind])  # noqa: S311 - load mix, not security


class Visitor(FastHttpUser):
    weight = 7
    wait_time = between(1, 3)

    @task(4)
    def home(self):
        self.client.get("/", name="home")

    @task(4)
    def search(self):
        self.client.get("/search/?q=environmental+impact", name="search")

    @task(3)
    def service_item(self):
        self.client.get(pick("service_item"), name="service item")

    @task(4)
    def listing(self):
        self.client.get(pick("listing"), name="listing")

    @task(3)
    def provider(self):
        self.client.get(pick("provider"), name="provider profile")

    @task(2)
    def requests_list(self):
        self.client.get("/requests/", name="requests")

    @task(2)
    def request_detail(self):
        self.client.get(pick("request"), name="request")

    @task(1)
    def verify(self):
        self.client.get("/verify/", name="verify")

    @task(1)
    def stats(self):
        self.client.get("/stats/", name="stats")

    @task(1)
    def log(self):
        self.client.get("/transparency/log/", name="transparency log")

    @task(1)
    def baseline(self):
        self.client.get("/favicon.ico", name="baseline (favicon redirect)", allow_redirects=False)


class Buyer(FastHttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        log_in(self.client, BUYER)
        orders = self.client.get("/orders/", name="my orders").text
        self.orders = sorted(set(re.findall(r'href="(/orders/\d+/)"', orders)))[:10] or ["/orders/"]

    @task(3)
    def my_orders(self):
        self.client.get("/orders/", name="my orders")

    @task(4)
    def order(self):
        self.client.get(random.choice(self.orders), name="order")  # noqa: S311

    @task(1)
    def notifications(self):
        self.client.get("/notifications/", name="notifications")


class Messenger(FastHttpUser):
    """Writes while the others read: a buyer who posts a message on one of their orders every
    ``--write-interval`` seconds. Each message commits rows (the message, the provider's
    notifications), which retires every cached page made from those tables, as a busy site's writes
    would. Off unless ``--writers`` is given."""

    weight = 0
    fixed_count = 0
    wait_time = constant(5)

    def on_start(self):
        log_in(self.client, BUYER)
        orders = self.client.get("/orders/", name="my orders").text
        # Not the orders the browsing buyers read (their first ten), when there are others: their
        # threads would grow with every run and make later runs' order pages slower to render.
        found = sorted(set(re.findall(r'href="(/orders/\d+/)"', orders)))
        self.orders = found[10:] or found[-1:]

    @task
    def post_message(self):
        if not self.orders:
            return
        order = random.choice(self.orders)  # noqa: S311
        page = self.client.get(order, name="order (before writing)").text
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            return
        self.client.post(
            f"{order}messages/",
            {"csrfmiddlewaretoken": found.group(1), "body": f"Progress check {time.time():.0f}"},
            headers={"Referer": self.client.base_url + order},
            name="post a message (write)",
        )


class Provider(FastHttpUser):
    weight = 1
    wait_time = between(1, 3)

    def on_start(self):
        log_in(self.client, PROVIDER)

    @task
    def console(self):
        self.client.get("/providers/console/", name="provider console")

    @task
    def quotes(self):
        self.client.get("/requests/quotes/", name="my quotes")


RAMP_UP_NAMES = ("login page", "log in")
CACHE_HEADER = "X-Page-Cache"


def run(host: str, users: int, seconds: int, classes, warmup: float = 0) -> Environment:
    """Start ``users`` (over ~5 s), let every one log in, then measure ``seconds`` of steady load.

    Logging in hashes a password on purpose (PBKDF2, ~0.5 s of a core each): a third of the users
    doing it at once is a start-up storm, not steady browsing, so the figures are reset once the
    users are in and the logins are printed on their own first."""
    env = Environment(user_classes=classes, host=host)
    env.cache_hits = {}  # page name -> [served from the page cache, requests]

    def count_hits(name, response=None, **_kwargs):
        seen = env.cache_hits.setdefault(name, [0, 0])
        seen[1] += 1
        headers = getattr(response, "headers", None) or {}
        seen[0] += headers.get(CACHE_HEADER) == "hit"

    env.events.request.add_listener(count_hits)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 5, 1))
    runner.spawning_greenlet.join()
    signing_in = sum(n for name, n in runner.user_classes_count.items() if name in ("Buyer", "Provider", "Messenger"))
    deadline = time.monotonic() + 120
    while env.stats.get("log in", "POST").num_requests < signing_in and time.monotonic() < deadline:
        gevent.sleep(0.5)
    gevent.sleep(SETTLE_SECONDS + warmup)
    ramp_up = [env.stats.entries[key] for key in list(env.stats.entries) if key[0] in RAMP_UP_NAMES]
    for entry in ramp_up:
        p50, p95 = (entry.get_response_time_percentile(q) for q in (0.5, 0.95))
        print(f"  while starting: {entry.name:12} {entry.num_requests:5d} requests, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    env.stats.reset_all()
    env.cache_hits.clear()
    gevent.sleep(seconds)
    runner.quit()
    return env


def report(env: Environment) -> None:
    rows = sorted(env.stats.entries.values(), key=lambda e: e.name)
    base = next((e for e in rows if e.name.startswith("baseline")), None)
    base_p95 = base.get_response_time_percentile(0.95) if base and base.num_requests else None
    print(f"{'page':32} {'requests':>8} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'p95/base':>9} {'cached':>7}")
    for entry in rows:
        p50, p95, p99 = (entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99))
        ratio = f"{p95 / base_p95:8.1f}x" if base_p95 else ""
        counts = f"{entry.num_requests:8d} {entry.num_failures:5d}"
        hits, seen = env.cache_hits.get(entry.name, (0, 0))
        cached = f"{100 * hits / seen:6.0f}%" if seen else ""
        print(f"{entry.name[:32]:32} {counts} {p50:6.0f} {p95:6.0f} {p99:6.0f} {ratio:>9} {cached:>7}")
    total = env.stats.total
    print(
        f"{'all':32} {total.num_requests:8d} {total.num_failures:5d} {total.get_response_time_percentile(0.5):6.0f} "
        f"{total.get_response_time_percentile(0.95):6.0f} {total.get_response_time_percentile(0.99):6.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--saturate-users", type=int, default=24)
    parser.add_argument("--saturate-seconds", type=int, default=30)
    parser.add_argument("--writers", type=int, default=0, help="buyers posting order messages meanwhile")
    parser.add_argument(
        "--warmup-seconds",
        type=float,
        default=0,
        help="browse this long after the logins before measuring (steady state: first renders of each page left out)",
    )
    parser.add_argument("--write-interval", type=float, default=5.0, help="seconds between a writer's messages")
    options = parser.parse_args()
    discover(options.host)

    classes = [Visitor, Buyer, Provider]
    writing = ""
    if options.writers:
        Messenger.fixed_count = options.writers
        Messenger.wait_time = constant(options.write_interval)
        classes.append(Messenger)
        writing = f", {options.writers} writer(s) posting a message every {options.write_interval:g} s"
    print(f"== {options.users} browsing users (1–3 s between pages){writing}, {options.seconds} s ==")
    report(run(options.host, options.users + options.writers, options.seconds, classes, options.warmup_seconds))

    if options.saturate_seconds:
        for cls in (Visitor, Buyer, Provider):
            cls.wait_time = constant(0)
        print(f"\n== saturation: {options.saturate_users} users, no think time, {options.saturate_seconds} s ==")
        users = options.saturate_users + options.writers
        env = run(options.host, users, options.saturate_seconds, classes, options.warmup_seconds)
        total = env.stats.total
        print(
            f"throughput {total.num_requests / options.saturate_seconds:.0f} requests/s, "
            f"p95 {total.get_response_time_percentile(0.95):.0f} ms, failures {total.num_failures}"
        )


if __name__ == "__main__":
    main()
