"""Pure domain rules: identifiers, codes, money, hours and value lists (no I/O, no DB)."""
