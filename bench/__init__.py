"""Benchmarks of the real server (`python -m bench.fanout`, `make bench`); results in BENCHMARKS.md."""
