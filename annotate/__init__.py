"""annotate: claim-level source-credibility annotation in the terminal.

The modules directly under this package are the domain layer and never import
Textual; the terminal UI lives in `annotate.tui`.
"""

__version__ = "0.1.0"
