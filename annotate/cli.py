"""Command line: parse arguments, then run a domain command or the App.

Thin on purpose: every decision lives in the domain modules. User errors
(AnnotateError) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from annotate import __version__
from annotate.errors import AnnotateError

if TYPE_CHECKING:
    from annotate.tui.app import AnnotateApp


def resolve_annotator(given: str | None) -> str:
    """--annotator, else ANNOTATE_ANNOTATOR, else the login name; validated."""
    from annotate.store import validate_annotator

    name = given or os.environ.get("ANNOTATE_ANNOTATOR")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            raise AnnotateError(
                "no annotator name: give --annotator NAME or set ANNOTATE_ANNOTATOR"
            ) from None
    return validate_annotator(name)


def make_app(
    paths: Sequence[Path],
    annotator: str | None = None,
    annotations: Path = Path("annotations"),
    schema_path: Path | None = None,
    keymap_path: Path | None = None,
) -> AnnotateApp:
    """Build the annotate App: load and check everything, take the lock.

    Raises AnnotateError for bad input before anything is drawn.
    """
    from annotate.corpus import discover
    from annotate.keymap import load_keymap
    from annotate.schema import DEFAULT_SCHEMA, load_schema
    from annotate.session import article_progress
    from annotate.store import EventLog, log_path
    from annotate.tui.app import AnnotateApp
    from annotate.tui.screens.annotate import binding_ids
    from annotate.validate import check_events_against_schema

    name = resolve_annotator(annotator)
    schema = load_schema(schema_path or DEFAULT_SCHEMA)
    keymap = load_keymap(keymap_path, binding_ids(schema))
    files = discover(paths)
    log = EventLog(log_path(annotations, name))
    log.open()
    try:
        result = log.read()
        if result.errors:
            first = result.errors[0]
            more = f" (and {len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
            raise AnnotateError(
                f"{first}{more}; fix or remove the line (annotate validate lists every problem)"
            )
        check_events_against_schema(result.events, schema, log.path)
        warnings = [f"{problem}" for problem in result.problems]
        first_article = None
        for item in files:
            article = item.load()
            done, total = article_progress(article, result.events)
            if first_article is None or done < total:
                first_article = article
            if done < total:
                break
        assert first_article is not None
        if len(files) > 1:
            done, total = article_progress(first_article, result.events)
            if done == total:
                warnings.append("Every article here is labelled; showing the last one.")
        return AnnotateApp(files, first_article, schema, name, log, result.events, keymap, warnings)
    except BaseException:
        log.close()
        raise


def _cmd_open(args: argparse.Namespace) -> int:
    app = make_app(args.paths, args.annotator, args.annotations, args.schema, args.keymap)
    app.run()
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from annotate.validate import validate

    problems, summary = validate(args.paths, args.annotations, args.schema)
    for problem in problems:
        print(problem)
    print(summary, file=sys.stderr)
    return 1 if problems else 0


def _cmd_import_labels(args: argparse.Namespace) -> int:
    from annotate.corpus import discover
    from annotate.interchange import import_file
    from annotate.schema import DEFAULT_SCHEMA, load_schema
    from annotate.store import log_path

    name = resolve_annotator(args.annotator)
    schema = load_schema(args.schema or DEFAULT_SCHEMA)
    articles = [item.load() for item in discover([args.corpus])]
    target = log_path(args.annotations, name)
    result = import_file(
        args.file,
        args.format,
        name,
        articles,
        schema,
        target,
        skip_bad=args.skip_bad,
        report=lambda line: print(line, file=sys.stderr),
    )
    skipped = f", {len(result.problems)} problem(s) skipped" if result.problems else ""
    trimmed = f", {result.trimmed} span(s) trimmed of spaces" if result.trimmed else ""
    print(
        f"imported {result.spans} labelled span(s) from {result.tasks} task(s) for {len(result.articles)} "
        f"article(s) into {target}: {len(result.events)} event(s) written{skipped}{trimmed}",
        file=sys.stderr,
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from annotate.export import ExportOptions, run_export

    options = ExportOptions(
        corpus=args.corpus,
        annotations=args.annotations,
        fmt=args.format,
        out=args.out,
        force=args.force,
        min_annotators=args.min_annotators,
        include_not_a_claim=args.include_not_a_claim,
        include_ties=args.include_ties,
        split=args.split,
        seed=args.seed,
        schema=args.schema,
        label_studio_offsets=args.label_studio_offsets,
        skip_bad=args.skip_bad,
    )
    summary = run_export(options, report=lambda line: print(line, file=sys.stderr))
    left_out = sum(summary.excluded.values())
    print(
        f"exported {summary.records} record(s) ({left_out} left out by the filters) to "
        + ", ".join(str(path) for path in summary.files),
        file=sys.stderr,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="annotate",
        description="Annotate the claims in news articles for source credibility.",
    )
    parser.add_argument("--version", action="version", version=f"annotate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--annotations",
        type=Path,
        default=Path("annotations"),
        metavar="DIR",
        help="annotation folder (default ./annotations)",
    )
    common.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="label schema (default schemas/credibility.yaml)",
    )

    open_ = commands.add_parser(
        "open",
        parents=[common],
        help="annotate articles in the terminal",
        description="Open articles in the annotate screen. A folder opens its first unfinished article.",
    )
    open_.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="article file or corpus folder")
    open_.add_argument(
        "--annotator",
        metavar="NAME",
        help="who is annotating (default $ANNOTATE_ANNOTATOR or login name)",
    )
    open_.add_argument(
        "--keymap",
        type=Path,
        metavar="FILE",
        help="key remapping YAML (default ~/.config/annotate/keymap.yaml)",
    )
    open_.set_defaults(run=_cmd_open)

    validate = commands.add_parser(
        "validate",
        parents=[common],
        help="check schema, articles and annotation files",
        description="Check the schema, the articles and every annotation file. Exit 0 when clean, 1 when problems are found.",
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="article files or corpus folders"
    )
    validate.set_defaults(run=_cmd_validate)

    import_labels = commands.add_parser(
        "import-labels",
        parents=[common],
        help="bring labels from Prodigy, doccano or Label Studio in as an annotator's events",
        description=(
            "Import a Prodigy (JSONL), doccano (sequence labelling JSONL) or Label Studio (JSON export) file "
            "as events of one annotator. Tasks are matched to articles by meta article_id, else by exact "
            "body or paragraph text. Every problem is listed as file:line; by default any problem means "
            "nothing is written (exit 2)."
        ),
    )
    import_labels.add_argument("file", type=Path, metavar="FILE", help="the file exported by the tool")
    import_labels.add_argument(
        "--format", required=True, choices=["prodigy", "doccano", "label-studio"], help="the file's format"
    )
    import_labels.add_argument(
        "--annotator", required=True, metavar="NAME", help="whose events the labels become"
    )
    import_labels.add_argument(
        "--corpus", type=Path, default=Path("corpus"), metavar="DIR", help="corpus folder (default ./corpus)"
    )
    import_labels.add_argument(
        "--skip-bad",
        action="store_true",
        help="import what can be mapped and skip (but still list) spans and tasks with problems",
    )
    import_labels.set_defaults(run=_cmd_import_labels)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="write the labelled dataset (JSONL, CSV) or Prodigy, doccano, Label Studio files",
        description=(
            "Write one record per claim with its final label (gold, else majority, else the single "
            "annotator's; ties marked 'tie'), and a DATASET.md card beside it. Output is written to a "
            "temporary file and renamed, and is byte-identical for the same input."
        ),
    )
    export.add_argument(
        "--corpus", type=Path, default=Path("corpus"), metavar="DIR", help="corpus folder (default ./corpus)"
    )
    export.add_argument(
        "--format",
        default="jsonl",
        choices=["jsonl", "csv", "prodigy", "doccano", "label-studio"],
        help="output format (default jsonl)",
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="output file")
    export.add_argument("--force", action="store_true", help="replace existing output files and card")
    export.add_argument(
        "--min-annotators",
        type=int,
        default=1,
        metavar="N",
        help="only claims labelled by at least N annotators (default 1)",
    )
    not_a_claim = export.add_mutually_exclusive_group()
    not_a_claim.add_argument(
        "--exclude-not-a-claim",
        dest="include_not_a_claim",
        action="store_false",
        help="leave out claims whose final label is not_a_claim (the default)",
    )
    not_a_claim.add_argument(
        "--include-not-a-claim", dest="include_not_a_claim", action="store_true", help="keep them"
    )
    export.set_defaults(include_not_a_claim=False)
    export.add_argument(
        "--include-ties", action="store_true", help="keep tied claims (label null, decision 'tie')"
    )
    export.add_argument(
        "--split",
        metavar="SPEC",
        help="split by article, e.g. train=0.8,dev=0.1,test=0.1: writes FILE's stem + .train + suffix, ...",
    )
    export.add_argument(
        "--seed", type=int, metavar="N", help="seed of the article shuffle for --split (default 0)"
    )
    export.add_argument(
        "--label-studio-offsets",
        choices=["code-points", "utf-16"],
        default="code-points",
        help="Label Studio span offsets: code points (current releases, default) or UTF-16 units (old releases)",
    )
    export.add_argument(
        "--skip-bad",
        action="store_true",
        help="export despite malformed lines in annotation files (they are listed)",
    )
    export.set_defaults(run=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except AnnotateError as error:
        print(f"annotate: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
