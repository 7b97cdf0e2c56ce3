"""Connect transfers (https://docs.stripe.com/api/transfers) and their reversals
(https://docs.stripe.com/api/transfer_reversals), which localstripe lacks.

- ``POST /v1/transfers`` (``amount``, ``currency``, ``destination``, ``transfer_group``, ``metadata``,
  ``description``, ``source_transaction``): a ``tr_`` transfer; event ``transfer.created``. There are
  no connected accounts here, so any ``acct_…`` destination is taken; anything else is 400
  ``invalid_request_error`` code ``resource_missing``, param ``destination``, as Stripe answers an
  unknown account. The platform balance is not checked.
- ``GET /v1/transfers/{id}``; ``GET /v1/transfers`` filtered by ``transfer_group`` and ``destination``,
  newest first; ``POST /v1/transfers/{id}`` updates ``description`` and ``metadata``.
- ``POST /v1/transfers/{id}/reversals`` (``amount``, default what is left; ``metadata``): a ``trr_``
  ``transfer_reversal``; the transfer's ``amount_reversed`` and ``reversals`` follow, and ``reversed``
  turns true once it is fully reversed. Reversing more than is left, or a fully reversed transfer,
  is 400 ``invalid_request_error``. Event ``transfer.reversed`` (the transfer).
  ``GET /v1/transfers/{id}/reversals`` lists them.
"""

from localstripe.errors import UserError
from localstripe.resources import (
    Event,
    List,
    StripeObject,
    random_id,
    store,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

from .refunds import money, newest_first


def _positive(amount, param: str = "amount") -> int:
    amount = try_convert_to_int(amount)
    if type(amount) is not int or amount <= 0:
        raise UserError(400, "Invalid positive integer", {"param": param})
    return amount


def _optional_text(value, param: str) -> None:
    if value is not None and type(value) is not str:
        raise UserError(400, "Invalid string", {"param": param})


def _optional_metadata(metadata) -> dict:
    if metadata is not None and type(metadata) is not dict:
        raise UserError(400, "Invalid metadata", {"param": "metadata"})
    return dict(metadata or {})


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount=None,
        currency=None,
        destination=None,
        transfer_group=None,
        metadata=None,
        description=None,
        source_transaction=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        amount = _positive(amount)
        if not (type(currency) is str and currency):
            raise UserError(400, "Missing required param: currency.", {"param": "currency"})
        if destination is None:
            raise UserError(400, "Missing required param: destination.", {"param": "destination"})
        if not (type(destination) is str and destination.startswith("acct_")):
            raise UserError(
                400, f"No such destination: '{destination}'", {"code": "resource_missing", "param": "destination"}
            )
        for value, param in ((transfer_group, "transfer_group"), (description, "description")):
            _optional_text(value, param)
        _optional_text(source_transaction, "source_transaction")
        metadata = _optional_metadata(metadata)

        # All exceptions must be raised before this point (localstripe's rule: nothing half-stored).
        super().__init__()
        self.amount = amount
        self.balance_transaction = None
        self.currency = currency.lower()
        self.description = description
        self.destination = destination
        self.destination_payment = "py_" + random_id(14)
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = "card"
        self.transfer_group = transfer_group

    @property
    def reversals(self):
        reversals = List(f"/v1/transfers/{self.id}/reversals")
        reversals._list = [
            obj for key, obj in store.items() if key.startswith("transfer_reversal:") and obj.transfer == self.id
        ]
        return reversals

    @property
    def amount_reversed(self) -> int:
        return sum(reversal.amount for reversal in self.reversals._list)

    @property
    def reversed(self) -> bool:
        return self.amount_reversed >= self.amount

    @classmethod
    def _api_create(cls, **data):
        transfer = cls(**data)
        schedule_webhook(Event("transfer.created", transfer))
        return transfer

    @classmethod
    def _api_update(cls, id, description=None, metadata=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        _optional_text(description, "description")
        metadata = _optional_metadata(metadata)
        transfer = cls._api_retrieve(id)
        if description is not None:
            transfer.description = description
        transfer.metadata.update(metadata)
        return transfer

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")

    @classmethod
    def _api_list_all(cls, url, transfer_group=None, destination=None, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        if transfer_group is not None:
            li._list = [t for t in li._list if t.transfer_group == transfer_group]
        if destination is not None:
            li._list = [t for t in li._list if t.destination == destination]
        newest_first(li)
        return li


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer=None, amount=None, metadata=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        transfer_obj = Transfer._api_retrieve(str(transfer))
        remaining = transfer_obj.amount - transfer_obj.amount_reversed
        if remaining <= 0:
            raise UserError(400, f"Transfer {transfer_obj.id} has already been fully reversed.")
        amount = remaining if amount is None else _positive(amount)
        if amount > remaining:
            raise UserError(
                400,
                f"Reversal amount ({money(amount, transfer_obj.currency)}) is greater than the amount left "
                f"on transfer {transfer_obj.id} ({money(remaining, transfer_obj.currency)}).",
                {"param": "amount"},
            )
        metadata = _optional_metadata(metadata)

        super().__init__()
        self.amount = amount
        self.balance_transaction = None
        self.currency = transfer_obj.currency
        self.destination_payment_refund = None
        self.metadata = metadata
        self.source_refund = None
        self.transfer = transfer_obj.id

    @classmethod
    def _api_reverse(cls, id, **data):
        reversal = cls(transfer=id, **data)
        schedule_webhook(Event("transfer.reversed", Transfer._api_retrieve(id)))
        return reversal

    @classmethod
    def _api_list_for(cls, id, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        transfer = Transfer._api_retrieve(id)
        reversals = List(f"/v1/transfers/{id}/reversals", limit=limit, starting_after=starting_after)
        reversals._list = transfer.reversals._list
        return reversals


# Served like localstripe's extra_apis, before the resources' own routes.
EXTRA_ROUTES = (
    ("POST", "/v1/transfers/{id}/reversals", TransferReversal._api_reverse),
    ("GET", "/v1/transfers/{id}/reversals", TransferReversal._api_list_for),
)
