"""Command line: parse arguments, then run a domain command or the App.

Thin on purpose: every decision lives in the domain modules. User errors
(AnnotateError) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotate import __version__
from annotate.errors import AnnotateError
from annotate.progress import progress

if TYPE_CHECKING:
    from annotate.corpus import Article, Corpus
    from annotate.schema import LabelSchema
    from annotate.tui.app import AnnotateApp
    from annotate.tui.review_app import ReviewApp
    from annotate.units import SchemaLookup, UnitSet


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
    lead: bool = False,
) -> AnnotateApp:
    """Build the annotate App: load and check everything, take the lock.

    One article file opens that article; a folder (or several files) opens the
    corpus screen, which lists the articles without segmenting them first.
    Raises AnnotateError for bad input before anything is drawn.
    """
    from annotate.assignments import assignments_path, load_assignments
    from annotate.catalog import PROCESS_THRESHOLD, prepare_process_counting, read_catalog
    from annotate.corpus import discover
    from annotate.keymap import load_keymap
    from annotate.store import EventLog, log_path
    from annotate.tui.app import AnnotateApp
    from annotate.tui.keyboard_app import key_name
    from annotate.tui.screens.annotate import binding_keys
    from annotate.tui.screens.corpus import corpus_binding_keys
    from annotate.validate import check_events_against_schema

    name = resolve_annotator(annotator)
    schema = _schema(schema_path)
    keymap = load_keymap(keymap_path, [binding_keys(schema), corpus_binding_keys()], key_name)
    files = discover(paths)
    folders = [path for path in paths if path.is_dir()]
    assignments = None
    if folders:
        assignments = load_assignments(assignments_path(folders[0]))
    lead = lead or (assignments is not None and name in assignments.leads)
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
        if len(files) == 1 and not folders:
            article = files[0].load()
            return AnnotateApp(files, article, schema, name, log, result.events, keymap, warnings)
        catalog = read_catalog(files)
        if len(files) >= PROCESS_THRESHOLD:
            prepare_process_counting()
        if assignments is not None:
            known = {item.article_id for item in files}
            missing = [article_id for article_id in assignments.articles if article_id not in known]
            if missing:
                warnings.append(
                    f"assignments.yaml names {len(missing)} articles that are not in the corpus "
                    f"(first: {missing[0]}); run annotate assign again to update it"
                )
        corpus_name = (folders[0].resolve().name or str(folders[0])) if folders else f"{len(files)} files"
        return AnnotateApp(
            files,
            None,
            schema,
            name,
            log,
            result.events,
            keymap,
            warnings,
            catalog=catalog,
            assignments=assignments,
            lead=lead,
            annotations=annotations,
            corpus_name=corpus_name,
        )
    except BaseException:
        log.close()
        raise


def _cmd_open(args: argparse.Namespace) -> int:
    app = make_app(args.paths, args.annotator, args.annotations, args.schema, args.keymap, args.lead)
    app.run()
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from annotate.importer import (
        describe_entry,
        describe_notes,
        plan_import,
        read_sources,
        source_files,
        write_import,
    )

    sources = source_files(args.sources, args.format)
    with progress(len(sources), "Reading sources", threshold=2) as advance:
        articles, problems = read_sources(sources, args.encoding, advance)
    plan = plan_import(articles, args.corpus, problems)
    if args.dry_run:
        for entry in plan.entries:
            for line in describe_entry(entry):
                print(line)
        for problem in plan.problems:
            print(f"problem: {problem}")
        print(
            f"dry run: {len(plan.new)} articles would be imported into {args.corpus}, "
            f"{len(plan.entries) - len(plan.new)} are already there, {len(plan.problems)} problems",
            file=sys.stderr,
        )
        return 2 if plan.problems and not args.skip_bad else 0
    if plan.problems and not args.skip_bad:
        more = f" (and {len(plan.problems) - 1} more; --dry-run lists them)" if len(plan.problems) > 1 else ""
        raise AnnotateError(f"{plan.problems[0]}{more}; nothing was imported (--skip-bad imports the others)")
    for problem in plan.problems:
        print(f"annotate: skipped: {problem}", file=sys.stderr)
    with progress(len(plan.new), "Writing articles", threshold=2) as advance:
        written = write_import(plan, advance)
    for line in describe_notes(plan):
        print(line)
    present = len(plan.entries) - len(plan.new)
    skipped = f", {len(plan.problems)} skipped as bad" if plan.problems else ""
    print(f"imported {len(written)} articles into {args.corpus} ({present} already there{skipped})")
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    from annotate.assignments import (
        assign,
        assignments_path,
        describe_assignments,
        load_assignments,
        parse_annotator_list,
        write_assignments,
    )
    from annotate.corpus import discover

    if not args.corpus.is_dir():
        raise AnnotateError(f"{args.corpus}: no such corpus folder; check --corpus")
    annotators = parse_annotator_list(args.annotators)
    leads = parse_annotator_list(args.leads) if args.leads else None
    path = assignments_path(args.corpus)
    existing = load_assignments(path)
    seed = args.seed if args.seed is not None else (existing.seed if existing else 0)
    article_ids = [item.article_id for item in discover([args.corpus])]
    assignments, report = assign(article_ids, annotators, args.per_article, seed, existing, leads)
    if not args.dry_run:
        write_assignments(path, assignments)
    for line in describe_assignments(assignments, report):
        print(line)
    print(f"{'would write' if args.dry_run else 'wrote'} {path}", file=sys.stderr)
    return 0


def _cmd_corpus_stats(args: argparse.Namespace) -> int:
    import orjson

    from annotate.catalog import corpus_stats, describe_stats
    from annotate.corpus import discover

    files = discover([args.corpus])
    with progress(len(files), "Counting", threshold=2) as advance:
        stats = corpus_stats(files, advance)
    if args.json:
        sys.stdout.write(orjson.dumps(stats.as_json(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print("\n".join(describe_stats(stats)))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from annotate.validate import validate

    given = args.annotations is not None
    problems, summary = validate(args.paths, args.annotations or Path("annotations"), args.schema, given)
    for problem in problems:
        print(problem)
    print(summary, file=sys.stderr)
    return 1 if problems else 0


def find_corpus(paths: Sequence[Path] | None) -> Corpus | None:
    """The article files of --corpus, found and checked but not read yet (None when no corpus is given)."""
    from annotate.corpus import Corpus, discover

    return Corpus(discover(paths)) if paths else None


def load_corpus(paths: Sequence[Path] | None) -> dict[str, Article] | None:
    """The articles of --corpus, by article id (None when no corpus is given)."""
    corpus = find_corpus(paths)
    return None if corpus is None else corpus.articles


def _schema(schema_path: Path | None) -> LabelSchema:
    """--schema, else the default schema."""
    from annotate.schema import DEFAULT_SCHEMA, load_schema

    return load_schema(schema_path or DEFAULT_SCHEMA)


JOBS_FLAG = ("--jobs",)
JOBS_OPTION: dict[str, Any] = {
    "type": int,
    "metavar": "N",
    "help": "processes to share the work among (default: the usable CPUs, up to 4, on Linux; "
    "1 does it all in this one; the result is the same)",
}


def _jobs(args: argparse.Namespace) -> int:
    """--jobs, checked; by default the usable CPUs (up to 4) where work can be shared, else 1."""
    from annotate.forked import check_jobs, default_jobs

    return default_jobs() if args.jobs is None else check_jobs(args.jobs)


def _schema_names(schema: LabelSchema, schema_path: Path | None, units: UnitSet) -> tuple[str, ...]:
    """Label order from `schema` (--schema, checked against the events, or the default when it matches)."""
    if units.schema_ref is not None and units.schema_ref != schema.ref:
        if schema_path is not None:
            raise AnnotateError(
                f"the annotation files use schema {units.schema_ref!r} but {schema_path} is {schema.ref!r}; "
                "pass the matching --schema"
            )
        return ()
    return schema.names


def schema_lookup(schema: LabelSchema) -> SchemaLookup:
    """Check the labels of events that name `schema` against it (others are not known here)."""
    return lambda ref: schema if ref == schema.ref else None


def load_units_for_cli(
    paths: Sequence[Path],
    articles: Mapping[str, Article] | Corpus | None,
    skip_bad: bool,
    schema: LabelSchema,
    quiet: bool = False,
    jobs: int = 1,
) -> UnitSet:
    """Load units with a progress bar on a terminal; print every bad line to stderr.

    A label `schema` does not allow, on events that name it, is a bad line.
    `jobs` processes share the reading (`units.load_units`); with `jobs` above
    1, a `Corpus` is best given unread (`find_corpus`): its articles are read
    while the children read annotations.
    """
    from annotate.store import event_files
    from annotate.units import BadLines, load_units

    files = event_files(paths)
    total = sum(path.stat().st_size for path in files)
    # Counted in bytes read; under 8 MiB the reading takes well under a second.
    threshold = total + 1 if quiet else 8 << 20
    with ExitStack() as bar:
        advance: Callable[[int], None] | None = None

        def advance_bar(count: int) -> None:
            # The bar (and its drawing thread) starts with the first bytes read:
            # after any child process is forked.
            nonlocal advance
            if advance is None:
                advance = bar.enter_context(progress(total, "Reading annotations (bytes)", threshold))
            advance(count)

        try:
            units = load_units(
                paths,
                articles,
                skip_bad=skip_bad,
                progress=advance_bar,
                schemas=schema_lookup(schema),
                jobs=jobs,
            )
        except BadLines as error:
            bar.close()
            for problem in error.problems:
                print(f"annotate: {problem}", file=sys.stderr)
            raise
    for problem in units.problems:
        print(f"annotate: {problem}" + ("" if problem.torn else " (skipped)"), file=sys.stderr)
    return units


def _cmd_agreement(args: argparse.Namespace) -> int:
    import orjson

    from annotate.agreement import agreement_report

    schema = _schema(args.schema)
    jobs = _jobs(args)
    units = load_units_for_cli(args.paths, find_corpus(args.corpus), args.skip_bad, schema, jobs=jobs)
    where = ", ".join(map(str, args.paths))
    if not units.annotators:
        raise AnnotateError(
            f"no annotation events in {where}; give the annotations folder or annotator files"
        )
    if len(units.annotators) < 2:
        raise AnnotateError(
            f"only {units.annotators[0]} in {where}: agreement needs two or more annotators; "
            "give every annotator's file or the annotations folder"
        )
    report = agreement_report(units, _schema_names(schema, args.schema, units))
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    from rich.console import Console

    from annotate.agreement_table import report_view

    Console().print(report_view(report, args.by))
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    import orjson

    from annotate.assignments import assignments_path, load_assignments
    from annotate.status import StatusData, status_report

    schema = _schema(args.schema)
    corpus = find_corpus(args.corpus)
    units = load_units_for_cli(args.paths, corpus, args.skip_bad, schema, jobs=_jobs(args))
    articles = None if corpus is None else corpus.articles
    assignments = next(
        (
            found
            for folder in args.corpus or []
            if folder.is_dir() and (found := load_assignments(assignments_path(folder)))
        ),
        None,
    )
    sections = status_report(
        StatusData(units, articles, _schema_names(schema, args.schema, units), assignments)
    )
    if args.json:
        payload = {section.id: section.as_json() for section in sections}
        sys.stdout.buffer.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2) + b"\n")
        return 0
    from rich.console import Console

    from annotate.status_table import status_view

    console = Console()
    console.print(status_view(sections, console.width))
    return 0


def make_review_app(
    paths: Sequence[Path],
    adjudicator: str | None = None,
    corpus: Sequence[Path] | None = None,
    schema_path: Path | None = None,
    only_disagreements: bool = False,
    skip_bad: bool = False,
) -> ReviewApp:
    """Build the review App: load units and gold, take the adjudicator's gold lock."""
    from annotate.adjudication import Adjudication, ReviewFilter, gold_folder, gold_path
    from annotate.store import EventLog
    from annotate.tui.review_app import ReviewApp

    name = resolve_annotator(adjudicator)
    schema = _schema(schema_path)
    articles = load_corpus(corpus) or {}
    units = load_units_for_cli(paths, articles or None, skip_bad, schema, quiet=True)
    if units.schema_ref is not None and units.schema_ref != schema.ref:
        raise AnnotateError(
            f"the annotation files use schema {units.schema_ref!r} but the schema given is {schema.ref!r}; "
            "pass the matching --schema"
        )
    if not units.keys:
        raise AnnotateError(f"no labelled claims in {', '.join(map(str, paths))}; nothing to review")
    log = EventLog(gold_path(gold_folder(paths), name))
    log.open()
    try:
        adjudication = Adjudication(units, schema, name, log.append)
        return ReviewApp(adjudication, articles, log, ReviewFilter(disagreements_only=only_disagreements))
    except BaseException:
        log.close()
        raise


def _cmd_review(args: argparse.Namespace) -> int:
    app = make_review_app(
        args.paths, args.adjudicator, args.corpus, args.schema, args.only_disagreements, args.skip_bad
    )
    app.run()
    return 0


def _cmd_suggest(args: argparse.Namespace) -> int:
    import orjson

    from annotate.attribution import suggest_article, suggestion_lines
    from annotate.corpus import discover
    from annotate.segment import default_claims

    schema = _schema(args.schema)
    files = discover(args.paths)
    out = sys.stdout
    try:
        with progress(len(files), "Suggesting", threshold=2) as advance:
            for item in files:
                article = item.load()
                suggestions = suggest_article(article, default_claims(article), schema.names)
                if args.json:
                    out.write(
                        "".join(
                            orjson.dumps(s.as_json(article.article_id)).decode() + "\n" for s in suggestions
                        )
                    )
                else:
                    out.write(f"== {article.article_id} ({len(suggestions)} claims)\n")
                    out.write("".join(line + "\n" for s in suggestions for line in suggestion_lines(s)))
                advance(1)
        out.flush()
    except BrokenPipeError:
        # `annotate suggest ... | head`: the reader left; that is not an error.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    return 0


def _cmd_import_labels(args: argparse.Namespace) -> int:
    from annotate.corpus import discover
    from annotate.interchange import import_file
    from annotate.store import log_path

    name = resolve_annotator(args.annotator)
    schema = _schema(args.schema)
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
        doccano_offsets=args.doccano_offsets,
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
    from annotate.corpus import Corpus, discover
    from annotate.export import ExportOptions, export_dataset, plan_export

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
        doccano_offsets=args.doccano_offsets,
        skip_bad=args.skip_bad,
        jobs=_jobs(args),
    )
    # Everything that can be refused cheaply is refused before a million events are read.
    plan = plan_export(options)
    corpus = Corpus(discover([args.corpus]))
    units = load_units_for_cli([args.annotations], corpus, args.skip_bad, plan.schema, jobs=options.jobs)
    articles = corpus.articles
    summary = export_dataset(
        plan, articles, units, report=lambda line: print(f"annotate: {line}", file=sys.stderr)
    )
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

    def common() -> argparse.ArgumentParser:
        """--annotations and --schema, made anew for each command.

        A parent parser's options are the same objects in every command built
        from it, and `set_defaults` on one command changes an option's default
        in place: shared, validate's `annotations=None` became every
        command's, and `annotate open corpus/` had no annotation folder.
        """
        options = argparse.ArgumentParser(add_help=False)
        options.add_argument(
            "--annotations",
            type=Path,
            default=Path("annotations"),
            metavar="DIR",
            help="annotation folder (default ./annotations)",
        )
        options.add_argument(
            "--schema",
            type=Path,
            metavar="FILE",
            help="label schema (default schemas/credibility.yaml)",
        )
        return options

    open_ = commands.add_parser(
        "open",
        parents=[common()],
        help="annotate articles in the terminal",
        description=(
            "Open one article in the annotate screen, or a corpus folder on the corpus screen "
            "(the list of articles, your assigned queue first)."
        ),
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
    open_.add_argument(
        "--lead",
        action="store_true",
        help="show every annotator's progress on the corpus screen (also for leads in assignments.yaml)",
    )
    open_.set_defaults(run=_cmd_open)

    validate = commands.add_parser(
        "validate",
        parents=[common()],
        help="check schema, articles and annotation files",
        description="Check the schema, the articles and every annotation file. Exit 0 when clean, 1 when problems are found.",
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="article files or corpus folders"
    )
    # None: --annotations not given, so a missing ./annotations is no problem (a corpus can be checked alone).
    validate.set_defaults(run=_cmd_validate, annotations=None)

    import_ = commands.add_parser(
        "import",
        help="turn article sources (text, Markdown, HTML, JSONL) into corpus files",
        description=(
            "Read raw scraped text, Markdown, saved HTML pages (needs the 'html' extra) or JSONL "
            "(one article per line) and write one Markdown file with front matter per article into "
            "the corpus. Everything is checked before anything is written."
        ),
    )
    import_.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="source file or folder")
    import_.add_argument(
        "--corpus", type=Path, required=True, metavar="DIR", help="corpus folder to write into"
    )
    import_.add_argument(
        "--format",
        choices=["auto", "text", "markdown", "html", "jsonl"],
        default="auto",
        help="source type (default: from the file extension)",
    )
    import_.add_argument("--encoding", metavar="NAME", help="read non-UTF-8 sources in this encoding")
    import_.add_argument(
        "--dry-run",
        action="store_true",
        help="show each article's title, paragraphs and dropped lines; write nothing",
    )
    import_.add_argument(
        "--skip-bad", action="store_true", help="import the good articles, report and skip the bad"
    )
    import_.set_defaults(run=_cmd_import)

    assign_ = commands.add_parser(
        "assign",
        help="assign articles to annotators (writes assignments.yaml in the corpus)",
        description=(
            "Give every article --per-article annotators, balancing load and pairing annotators evenly. "
            "Entries already in assignments.yaml are kept."
        ),
    )
    assign_.add_argument("--corpus", type=Path, required=True, metavar="DIR", help="corpus folder")
    assign_.add_argument(
        "--annotators", required=True, metavar="A,B,C", help="comma-separated annotator names"
    )
    assign_.add_argument(
        "--per-article", type=int, default=2, metavar="N", help="annotators per article (default 2)"
    )
    assign_.add_argument("--seed", type=int, metavar="N", help="tie-break seed (default: the file's, else 0)")
    assign_.add_argument(
        "--leads", metavar="A,B", help="annotators who see everyone's progress in annotate open"
    )
    assign_.add_argument("--dry-run", action="store_true", help="print the summary; write nothing")
    assign_.set_defaults(run=_cmd_assign)

    corpus_ = commands.add_parser("corpus", help="corpus commands (stats)")
    corpus_commands = corpus_.add_subparsers(dest="corpus_command", metavar="COMMAND", required=True)
    stats = corpus_commands.add_parser(
        "stats",
        help="articles, paragraphs, claim candidates, words, outlets, dates",
        description="Count what a corpus holds. Claim candidates are sentence segments before any merge or split.",
    )
    stats.add_argument("corpus", type=Path, metavar="DIR", help="corpus folder")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(run=_cmd_corpus_stats)

    units_common = argparse.ArgumentParser(add_help=False)
    units_common.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path("annotations")],
        metavar="PATH",
        help="annotation files or folders (default ./annotations; gold/ inside is not an annotator)",
    )
    units_common.add_argument(
        "--corpus",
        type=Path,
        action="append",
        metavar="DIR",
        help="the articles: events for a changed body are left out and counted (repeatable)",
    )
    units_common.add_argument(
        "--schema", type=Path, metavar="FILE", help="label schema (default schemas/credibility.yaml)"
    )
    units_common.add_argument(
        "--skip-bad",
        action="store_true",
        help="compute over the rest when lines are malformed (each is listed)",
    )

    agreement = commands.add_parser(
        "agreement",
        parents=[units_common],
        help="inter-annotator agreement",
        description="Agreement between annotators: percent agreement, Krippendorff's alpha, Fleiss' and "
        "Cohen's kappa, specific agreement per label, per article, and agreement on sources.",
    )
    agreement.add_argument("--json", action="store_true", help="print the report as JSON (DESIGN 4.5)")
    agreement.add_argument(
        "--by", choices=["article", "annotator", "label"], help="break the figures down (human output)"
    )
    agreement.add_argument(*JOBS_FLAG, **JOBS_OPTION)
    agreement.set_defaults(run=_cmd_agreement)

    status = commands.add_parser(
        "status",
        parents=[units_common],
        help="per annotator and per article progress and agreement",
        description="Per annotator and per article: claims labelled out of claims (with --corpus), "
        "the label distribution and agreement with the majority.",
    )
    status.add_argument("--json", action="store_true", help="print the sections as JSON")
    status.add_argument(*JOBS_FLAG, **JOBS_OPTION)
    status.set_defaults(run=_cmd_status)

    review = commands.add_parser(
        "review",
        parents=[units_common],
        help="review disagreements and adjudicate them into gold",
        description="Walk the units side by side and record final decisions in gold/<adjudicator>.jsonl.",
    )
    review.add_argument(
        "--adjudicator", metavar="NAME", help="who decides (default $ANNOTATE_ANNOTATOR or login name)"
    )
    review.add_argument("--only-disagreements", action="store_true", help="start with disagreements only")
    review.set_defaults(run=_cmd_review)

    suggest = commands.add_parser(
        "suggest",
        help="attribution cues, sources and a suggested label for every claim",
        description="For every claim (sentence segment) of the articles: its span, the attribution and stance "
        "cues with their spans, the source phrase (or the name a pronoun resolves to) and the suggested "
        "label. Suggestions only: nothing is written.",
    )
    suggest.add_argument(
        "paths", nargs="+", type=Path, metavar="ARTICLE", help="article file or corpus folder"
    )
    suggest.add_argument("--json", action="store_true", help="JSONL, one object per claim (see README)")
    suggest.add_argument(
        "--schema", type=Path, metavar="FILE", help="label schema (default schemas/credibility.yaml)"
    )
    suggest.set_defaults(run=_cmd_suggest)

    doccano = argparse.ArgumentParser(add_help=False)
    doccano.add_argument(
        "--doccano-offsets",
        choices=["utf-16", "code-points"],
        default="utf-16",
        help="what doccano span offsets count: UTF-16 units (doccano 1.x, default) or code points (older doccano)",
    )

    import_labels = commands.add_parser(
        "import-labels",
        parents=[common(), doccano],
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
        parents=[common(), doccano],
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
        "--include-ties",
        action="store_true",
        help="keep tied claims (label \"\", decision 'tie', top_labels the tied labels)",
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
    export.add_argument(*JOBS_FLAG, **JOBS_OPTION)
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
    except BrokenPipeError:
        # The reader went away (`annotate validate | head`): stop quietly, as a
        # Unix filter does, and keep Python from complaining again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
