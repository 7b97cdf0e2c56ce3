"""Bulk permit issuance throughput: the same N permits issued from CSV rows with 1 worker process and
with 2 (``issue_permit --from-csv F --workers N``), side by side in one run, on a real file database.

    .venv/bin/python bench/bulk_issue.py [-n 40] [--workers 2] [--repeat 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ow_bench .venv/bin/python bench/bulk_issue.py -n 40

Without ``DATABASE_URL`` it migrates a temporary SQLite file once and starts every measured run from a
copy of it; with ``DATABASE_URL`` (PostgreSQL) it migrates that database and gives each run its own
row keys. A throw-away PKI, authority, seal, officer and holder are made, and one permit is issued
before measuring (imports, the authority's QR-signing key). Each run calls ``permits_issue_bulk``
and times it whole: forking the workers and opening their keys included. Prints seconds and
permits/s per worker count and the ratio to 1 worker, with the CPU seconds per permit (this
process and its workers; a PostgreSQL server's own time is not in it) and the cores busy (CPU
time over wall-clock time); it checks every row was issued. Runs alternate (1, 2, 1, 2, ...)
with ``--repeat`` so a neighbour's load falls on both; the best of each is shown.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40, help="permits per run (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes to compare with 1 (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count, alternating (default 1)")
    options = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="ow-bench-bulk-"))
    template = scratch / "template.sqlite3"
    on_sqlite = "DATABASE_URL" not in os.environ
    if on_sqlite:
        os.environ["DATABASE_URL"] = f"sqlite:///{template}"
    os.environ["SIGNING_PKI_DIR"] = str(scratch / "pki")
    os.environ.setdefault("DEBUG", "true")  # the development KEK encrypts the throw-away bench keys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from marketplace.accounts.models import User
    from marketplace.enterprises.models import Enterprise
    from signing import services
    from signing.models import DocumentKind
    from signing.pki import Pki

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    tag = f"{os.getpid()}{int(time.time()) % 100000}"
    pki = Pki.default()
    pki.init()
    authority = services.authority_ensure(
        code=f"bench-{tag}", name="Bench Ecology Bureau", name_zh="基准测试生态环境局", number_prefix=f"B{tag}"[:12]
    )
    seal = services.seal_create(authority=authority, name="Bench seal", pki=pki)
    officer = User.objects.create_user(email=f"officer-{tag}@bench.invalid", password=None)
    services.authority_member_add(authority=authority, user=officer)
    services.grant_create(seal=seal, user=officer, document_kind=DocumentKind.PERMIT)
    holder, _ = Enterprise.objects.get_or_create(
        credit_code="91110000600037341L",
        defaults={"name": "Jinghua New Materials Co., Ltd.", "name_zh": "京华新材料有限公司", "region": "110000"},
    )

    def rows(run: str, n: int) -> list[dict]:
        return [
            {
                "holder_credit_code": holder.credit_code,
                "matter": "建设项目环境影响评价文件审批",
                "scope": f"年产5000吨新型复合材料生产线建设项目（第{i}期）",
                "conditions": "落实各项污染防治措施",
                "valid_from": "2026-01-01",
                "valid_until": "2030-12-31",
                "key": f"bench-{run}-{i}",
            }
            for i in range(n)
        ]

    services.permits_issue_bulk(authority=authority, actor=officer, rows=rows("warm-up", 1))
    print(f"Set up in {time.perf_counter() - started:.0f} s.")
    connection.close()

    def cpu_seconds() -> float:
        """This process's CPU time and its ended children's (the workers, once joined)."""
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def run(workers: int, label: str) -> tuple[float, float]:
        if on_sqlite:  # every run starts from the same database
            copy = scratch / f"{label}.sqlite3"
            shutil.copy(template, copy)
            connection.settings_dict["NAME"] = str(copy)
        start, cpu = time.perf_counter(), cpu_seconds()
        result = services.permits_issue_bulk(
            authority=authority, actor=officer, rows=rows(label, options.n), workers=workers
        )
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        connection.close()
        if len(result.issued) != options.n or result.errors or result.workers != workers:
            sys.exit(f"{label}: {len(result.issued)} issued, errors {result.errors}, {result.workers} workers")
        return elapsed, cpu

    database = "SQLite file" if on_sqlite else f"{connection.vendor} ({connection.settings_dict['NAME']})"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"Issuing {options.n} permits per run, PAdES {settings.SIGNING_PADES_LEVEL}, local TSA, {database}; "
        f"{services.default_workers()} cores, load average {load} before the runs\n"
    )
    times: dict[int, list[tuple[float, float]]] = {1: [], options.workers: []}
    for repeat in range(options.repeat):
        for workers in times:
            times[workers].append(run(workers, f"w{workers}-r{repeat}"))
    # CPU s per permit: the work each permit costs in all processes (render, seal, record, tree head);
    # cores busy: that CPU time over the wall-clock time (what the machine gave the run).
    print(f"{'workers':<9}{'seconds':>9}{'permits/s':>12}{'ratio':>8}{'CPU s/permit':>15}{'cores busy':>12}")
    base = options.n / min(times[1])[0]
    for workers, measured in times.items():
        best, cpu = min(measured)
        rate = options.n / best
        print(f"{workers:<9}{best:>9.1f}{rate:>12.2f}{rate / base:>7.2f}x{cpu / options.n:>15.2f}{cpu / best:>12.2f}")
    if options.repeat > 1:
        runs = "; ".join(f"{w}: {', '.join(f'{t:.1f}' for t, _ in ts)} s" for w, ts in times.items())
        print(f"\n(best of each; every run: {runs})")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
