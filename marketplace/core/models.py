"""Nothing stored: core holds shared helpers, the home page and the demo loader."""
