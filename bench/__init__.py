"""Benchmarks of the case service against the Temporal engine's own limit (`make bench`).

    python -m bench [--quick] [--cases N] [--scale N] [--postgres]

Results go to bench/results/latest.json, latest.md and latest.svg.
"""
