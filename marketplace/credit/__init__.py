"""A provider's credit record: the published formula, its inputs (entries), appeals and suspension.

The layer above hiring, ratings and procurement: it reads them, they never import it.
``formula`` is pure arithmetic over the inputs (tunables in ``conf``); ``selectors`` gathers a
provider's entries and its public track record; ``services`` recomputes the denormalised
``Provider.credit_*`` snapshot, files and decides appeals and suspends through the provider
workflow; ``signals`` is the one trigger of recomputation.
"""
