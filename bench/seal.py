"""Sealing throughput: the project's sealing path vs. a plain pyHanko ``sign_pdf`` call.

    .venv/bin/python bench/seal.py [-n 40]

Both seal the same N pre-rendered one-page permits with the same key and certificate chain, in
this one process, at PAdES B-B and at B-LTA (local in-process TSA, CRLs from the local PKI).
The plain call is what a first integration would write: ``SimpleSigner`` + ``sign_pdf`` with a
visible signature field, per document. The project's path (``signing.engine.Sealer``) opens the
key once per batch, fixes the signature size instead of pyHanko's dry-run signing, and reuses the
stamp appearance and validation context. Prints permits/second and the ratio (targets: B-B ≥ 2×,
B-LTA ≥ 3×).

Both paths get their timestamps from the same in-process TSA (``local_timestamper``, which parses its
key once). In production the TSA is another service (``SIGNING_TSA_URL``) whose time is the same for
both paths and is not what this measures; before the TSA kept its key parsed, its per-token key parse
(~45 ms, two tokens per B-LTA seal) was most of either path's B-LTA time.
"""

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
os.environ.setdefault("DEBUG", "true")  # the development KEK encrypts the throw-away bench keys

import django  # noqa: E402

django.setup()

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402

from signing import rendering  # noqa: E402
from signing.engine import (  # noqa: E402
    SealAppearance,
    Sealer,
    SealRequest,
    local_timestamper,
    platform_validation_context,
)
from signing.keystores import private_key_info  # noqa: E402
from signing.pki import Pki, load_pem_chain  # noqa: E402


def render(n: int) -> list[bytes]:
    today = dt.date.today()  # noqa: DTZ011 - only printed on the bench documents
    return [
        rendering.render_permit(
            rendering.PermitContent(
                number=f"BENCH-2026-{i:06d}",
                authority_name="Bench Ecology Bureau",
                authority_name_zh="基准测试生态环境局",
                holder_name="Jinghua New Materials Co., Ltd.",
                holder_name_zh="京华新材料有限公司",
                holder_credit_code="91110000600037341L",
                matter="建设项目环境影响评价文件审批",
                scope="年产5000吨新型复合材料生产线建设项目",
                conditions="落实各项污染防治措施",
                valid_from=today,
                valid_until=today + dt.timedelta(days=365),
                issued_on=today,
                verification_url=f"http://127.0.0.1:8000/v/bench{i}",
            )
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="permits per run (default 40)")
    args = parser.parse_args()

    pki = Pki(Path(tempfile.mkdtemp(prefix="ow-bench-pki-")))
    pki.init()
    cert, key_ref = pki.issue_seal(label="bench", common_name="Bench Seal", organisation="Bench")
    chain = load_pem_chain(pki.chain_pem(cert))
    stamp = rendering.render_stamp_png(name="基准测试生态环境局")
    docs = render(args.n)
    box = rendering.STAMP_BOX

    def plain(level: str):
        key = pki.keys.load_private_key(key_ref)
        signer = signers.SimpleSigner(
            signing_cert=chain[0],
            signing_key=private_key_info(key),
            cert_registry=SimpleCertificateStore.from_certs(chain[1:]),
        )
        timestamper = local_timestamper(pki) if level != "B-B" else None
        for pdf in docs:
            meta = signers.PdfSignatureMetadata(
                field_name="Seal",
                subfilter=fields.SigSeedSubFilter.PADES,
                certify=True,
                docmdp_permissions=fields.MDPPerm.NO_CHANGES,
                embed_validation_info=level == "B-LTA",
                use_pades_lta=level == "B-LTA",
                validation_context=platform_validation_context(pki) if level == "B-LTA" else None,
            )
            signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)),
                meta,
                signer=signer,
                timestamper=timestamper,
                new_field_spec=fields.SigFieldSpec("Seal", box=box),
            )

    def project(level: str):
        with pki.keys.open_signer(key_ref=key_ref, certificate=chain[0], chain=chain[1:]) as signer:
            sealer = Sealer(
                signer=signer,
                timestamper=local_timestamper(pki) if level != "B-B" else None,
                validation_context=platform_validation_context(pki) if level == "B-LTA" else None,
            )
            appearance = SealAppearance(box=box, stamp_png=stamp)
            for pdf in docs:
                sealer.seal(SealRequest(pdf=pdf, level=level, appearance=appearance))

    def rate(fn, level):
        fn(level)  # warm-up: imports, caches, first-call costs
        start = time.perf_counter()
        fn(level)
        return args.n / (time.perf_counter() - start)

    print(f"Sealing {args.n} one-page permits, RSA-2048 seal key, same documents for both paths\n")
    print(f"{'level':<7}{'plain sign_pdf':>18}{'project path':>18}{'ratio':>9}")
    for level in ("B-B", "B-LTA"):
        p = rate(plain, level)
        q = rate(project, level)
        print(f"{level:<7}{p:>12.1f} /s{q:>14.1f} /s{q / p:>8.2f}x")


if __name__ == "__main__":
    main()
