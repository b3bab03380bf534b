"""Benchmarks (`make bench`): JSON results plus a printed table."""
