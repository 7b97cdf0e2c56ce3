"""Signals providers sends for the layers above it to hear (search re-indexes), never business rules."""

from django.dispatch import Signal

# Sent with ``provider_ids`` when bans start or end by their dates: no row changes on those days, yet
# the providers' listings become unlisted or listed again.
ban_boundary = Signal()
