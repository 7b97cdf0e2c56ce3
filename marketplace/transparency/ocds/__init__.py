"""Open contracting data: the platform's requests, selection results and contracts in OCDS 1.1.

``identifiers`` (ocids, release ids, organisations by credit code) · ``sources`` (the rows, in a fixed
number of queries) · ``tenders`` and ``contracts`` (one release per thing that happened) · ``releases``
(by date, by ocid) · ``records`` (compiled by the OCDS merge rules) · ``packages`` (release and record
packages, pagination) · ``daily`` (the day's bulk package, written once) · ``validation`` (against the
vendored official schemas in ``schema/``) · ``views``/``urls`` (``/api/ocds/``, thin).
"""
