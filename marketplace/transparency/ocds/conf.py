"""Open contracting data's tunables. Each is a Django setting of the same name, else the environment
variable of that name (README documents them), else the default below (``marketplace.core.conf``)."""

import environ

from marketplace.core.conf import Tunables

_env = environ.Env()

DEFAULTS = {
    # The OCID prefix the Open Contracting Partnership registered for this publisher: "ocds-" and six
    # lowercase letters or digits. The default is a placeholder; a deployment registers its own
    # (data@open-contracting.org) before its data leaves the building.
    "OCDS_OCID_PREFIX": _env.str("OCDS_OCID_PREFIX", default="ocds-onewnd"),
    # Who publishes the data (the package's "publisher"), with its unified social credit code if set.
    "OCDS_PUBLISHER_NAME": _env.str("OCDS_PUBLISHER_NAME", default="OneWindow intermediary service marketplace"),
    "OCDS_PUBLISHER_CREDIT_CODE": _env.str("OCDS_PUBLISHER_CREDIT_CODE", default=""),
    # Links to the data licence and the publication policy; blank leaves them out of the packages.
    "OCDS_LICENSE": _env.str("OCDS_LICENSE", default=""),
    "OCDS_PUBLICATION_POLICY": _env.str("OCDS_PUBLICATION_POLICY", default=""),
    # Releases per page of /api/ocds/releases/, and the longest date range it answers for.
    "OCDS_PAGE_SIZE": _env.int("OCDS_PAGE_SIZE", default=100),
    "OCDS_MAX_RANGE_DAYS": _env.int("OCDS_MAX_RANGE_DAYS", default=31),
    # Direct hires (an order placed on a fixed-price listing, with no request for quotes) are published
    # as direct awards and contracts; a deployment whose policy says otherwise turns this off.
    "OCDS_PUBLISH_DIRECT_ORDERS": _env.bool("OCDS_PUBLISH_DIRECT_ORDERS", default=True),
    # The daily task writes every finished day's package it finds missing within this many days back.
    "OCDS_DAILY_CATCH_UP_DAYS": _env.int("OCDS_DAILY_CATCH_UP_DAYS", default=7),
}

get = Tunables(DEFAULTS).get
