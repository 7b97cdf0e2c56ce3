"""OneWindow's transparency log: a Merkle tree of every record the public relies on, in the shape of
Certificate Transparency (RFC 9162). ``merkle`` is pure (no Django) so standalone tools import it."""
