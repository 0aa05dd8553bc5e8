"""`python -m annotate`: the same as the `annotate` console script."""

from annotate.cli import main

raise SystemExit(main())
