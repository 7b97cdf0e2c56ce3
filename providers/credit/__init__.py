"""A provider's credit record: the published formula, its inputs (entries), appeals and suspension.

``formula`` is pure arithmetic over the inputs; ``selectors`` gathers a provider's entries;
``services`` recomputes the denormalised ``Provider.credit_*`` fields, files and decides appeals
and suspends through the provider workflow.
"""
