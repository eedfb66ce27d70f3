"""One module per schema revision, numbered 0001, 0002, … (`python -m db revision -m "…"` writes them)."""
