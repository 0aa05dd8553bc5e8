"""Benchmarks for annotate: `python -m bench [--quick] [--json]`.

Each `*_bench` module measures one area and exposes `run(quick: bool) -> dict[str, float]`;
every figure has a floor measured in the same run. The runner (`__main__`) collects them,
computes ratios and checks the targets of issue 7. Nothing here is a test: figures depend on
the machine, so they are printed, not asserted.
"""
