import oscar.apps.partner.apps as apps


class PartnerConfig(apps.PartnerConfig):
    """Oscar's partner app, forked only for OneWindow's pricing and availability strategy."""

    name = "marketplace.partner"
