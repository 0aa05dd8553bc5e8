"""The domain layer never imports Textual."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

DOMAIN = [
    "atomic",
    "corpus",
    "segment",
    "schema",
    "store",
    "event_decode",
    "session",
    "attribution",
    "validate",
    "keymap",
    "text",
    "errors",
    "units",
    "reliability",
    "agreement",
    "agreement_table",
    "adjudication",
    "status",
    "status_table",
    "safeyaml",
    "importer",
    "assignments",
    "catalog",
    "interchange",
    "progress",
    "export",
    "card",
]


def test_domain_modules_do_not_import_textual() -> None:
    imports = "; ".join(f"import annotate.{name}" for name in DOMAIN)
    code = f"import sys; {imports}; assert 'textual' not in sys.modules, 'textual imported'"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_cli_help_does_not_import_textual() -> None:
    code = "import sys; from annotate.cli import build_parser; build_parser(); assert 'textual' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
