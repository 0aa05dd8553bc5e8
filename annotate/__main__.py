"""`python -m annotate`: the same as the `annotate` console script."""

from annotate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
