"""Benchmarks: scripts that print figures beside a floor measured in the same run."""
