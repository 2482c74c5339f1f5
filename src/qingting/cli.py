"""The ``qingting`` command: a thin interface over the core engine and the platform.

Commands validate their arguments, call library functions and print; they hold no business logic.
Errors in the input become messages naming the record and the field, never a traceback.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import orjson

from qingting import __version__

if TYPE_CHECKING:
    from qingting.core.pipeline import Pipeline


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _input_options(f: Any) -> Any:
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(["jsonl", "csv", "tsv"]),
        default=None,
        help="Input format (default: from the file name).",
    )(f)
    f = click.option(
        "--columns",
        default=None,
        help="Column names for a file without a header, e.g. id,label,text (the last takes the rest).",
    )(f)
    f = click.option(
        "--fields",
        default=None,
        help="Map our field names to the file's: id=Id,text=textCleaned,cluster=clusterNo.",
    )(f)
    return f


def _records(path: str, fields: str | None, columns: str | None, fmt: str | None) -> Iterator[Any]:
    from qingting.core.io import parse_fields, read_records

    try:
        mapping = parse_fields(fields)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fields") from None
    cols = [c.strip() for c in columns.split(",")] if columns else None
    try:
        yield from read_records(path, fields=mapping, columns=cols, fmt=fmt)
    except OSError as e:
        _fail(f"cannot read {path}: {e.strerror or e}")


def _json_line(out: IO[bytes], obj: Any) -> None:
    out.write(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS) + b"\n")


@click.group()
@click.version_option(__version__, prog_name="qingting")
def main() -> None:
    """Qingting (倾听): listen to what the public says online and respond well."""


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@_input_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    help="Where to write the JSONL results (default: standard output).",
)
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def analyze(
    input_path: str, fields: str | None, columns: str | None, fmt: str | None, output: str, batch_size: int, seed: int
) -> None:
    """Run the listening engine over INPUT (JSONL or CSV) and write results as JSONL.

    One line per item ({"type": "assignment", …}) in input order, one per record that could not be
    read ({"type": "error", …}), and at the end one line per event ({"type": "event", …}).
    """
    from qingting.core.pipeline import Pipeline, PipelineConfig

    pipe = Pipeline(PipelineConfig(seed=seed))
    with _few_collections():
        _analyze(pipe, input_path, fields, columns, fmt, output, batch_size)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Run a long stream with the cyclic garbage collector seldom at work (decision 0132).

    The engine's state is hundreds of thousands of long-lived dicts and lists, and a stream
    allocates containers by the million (token lists, vectors): at Python's default threshold
    (a young collection every 700 net allocations) the collector took ≈ 4 % of `analyze`'s CPU
    on long documents, rereading that state. What exists before the stream (modules, the
    pipeline and its models) is frozen out of its view and a young collection waits for 50,000 allocations; the engine
    makes few reference cycles (memory is freed by reference counting), so the peak memory is the
    same. Results cannot depend on it. The previous settings come back afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _analyze(
    pipe: Pipeline,
    input_path: str,
    fields: str | None,
    columns: str | None,
    fmt: str | None,
    output: str,
    batch_size: int,
) -> None:
    from qingting.core.io import items as to_items
    from qingting.core.types import Item

    dumps = orjson.dumps
    out: IO[bytes] = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115
    n_items = n_errors = 0
    batch: list[Item] = []

    def flush() -> None:
        # orjson writes the frozen dataclass itself (its fields in order, enums by value): the
        # same bytes as a dict of its fields, without building one per item
        done = pipe.partial_fit(batch).assignments
        out.write(b"".join(b'{"type":"assignment",' + dumps(a)[1:] + b"\n" for a in done))
        batch.clear()

    try:
        for _, it in to_items(_records(input_path, fields, columns, fmt)):
            if isinstance(it, Item):
                batch.append(it)
                n_items += 1
                if len(batch) >= batch_size:
                    flush()
            else:
                n_errors += 1
                _json_line(out, {"type": "error", **_asdict(it)})
        if batch:
            flush()
        for ev in sorted(pipe.events(), key=lambda e: -e.heat):
            _json_line(out, {"type": "event", **_asdict(ev)})
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    click.echo(f"{n_items} items, {n_errors} records with errors, {len(pipe.events())} events", err=True)


def _asdict(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__slots__}


@main.group(name="eval")
def eval_() -> None:
    """Measure the engine on labeled data."""


@eval_.command(name="clusters")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@_input_options
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_clusters(gold: str, fields: str | None, columns: str | None, fmt: str | None, as_json: bool) -> None:
    """NMI, homogeneity, completeness and B-cubed of the engine's events against GOLD's `cluster` field."""
    from qingting.core.evaluation import evaluate_clusters
    from qingting.core.io import items as to_items
    from qingting.core.types import RecordError

    bad: list[RecordError] = []

    def labeled() -> Iterator[Any]:
        for rec, it in to_items(_records(gold, fields, columns, fmt)):
            if isinstance(it, RecordError):
                bad.append(it)
                continue
            assert rec is not None
            label = rec.data.get("cluster")
            if label in (None, ""):
                bad.append(RecordError(it.id, "cluster", "missing: every gold record needs a cluster"))
                continue
            yield it, str(label)

    report = evaluate_clusters(labeled())
    _report_errors(bad)
    figures = {**_asdict(report), "items_per_second": round(report.items_per_second, 1)}
    if as_json:
        click.echo(orjson.dumps(figures).decode())
        return
    click.echo(f"items            {report.items} ({report.unassigned} without an event)")
    click.echo(f"clusters         {report.clusters} (gold {report.gold_clusters})")
    click.echo(f"NMI              {report.nmi:.4f}")
    click.echo(f"homogeneity      {report.homogeneity:.4f}")
    click.echo(f"completeness     {report.completeness:.4f}")
    click.echo(f"B-cubed P/R/F1   {report.bcubed_precision:.4f} / {report.bcubed_recall:.4f} / {report.bcubed_f1:.4f}")
    click.echo(f"items/s          {report.items_per_second:,.0f}")


def _report_errors(bad: list[Any]) -> None:
    for e in bad[:20]:
        click.echo(f"skipped {e.record}: {e.field}: {e.message}", err=True)
    if len(bad) > 20:
        click.echo(f"… and {len(bad) - 20} more records skipped", err=True)


def _labeled_rows(path: str, fields: str | None, columns: str | None, fmt: str | None) -> list[tuple[str, int]]:
    from qingting.core.evaluation import labeled_rows
    from qingting.core.io import items as to_items

    pairs = (
        (it, rec.data.get("label") if rec is not None else None)
        for rec, it in to_items(_records(path, fields, columns, fmt))
    )
    try:
        return labeled_rows(pairs)
    except ValueError as e:
        _fail(f"{path}: {e}")
        raise  # unreachable: _fail raises


@eval_.command(name="sentiment")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@_input_options
@click.option(
    "--train",
    "train_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Train a fresh model on this file (same layout options) and evaluate it on GOLD.",
)
@click.option(
    "--holdout",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=None,
    help="Hold out this fraction of GOLD (seeded) for evaluation and train on the rest.",
)
@click.option(
    "--train-limit",
    type=click.IntRange(min=2),
    default=None,
    help="Train on only N rows of the training rows, drawn with --seed (for a learning curve).",
)
@click.option(
    "--method",
    type=click.Choice(["default", "old"]),
    default="default",
    show_default=True,
    help="default: the shipped three-class model (+ the training labels, as the correction job "
    "trains); old: the previous product-review model (+ a plain NB-LR on the labels).",
)
@click.option(
    "--stream/--no-stream",
    default=True,
    show_default=True,
    help="Adapt the default to all training texts, unlabeled, before learning the labels (as the "
    "correction job adapts to the organisation's recent items); --no-stream: the labels alone.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_sentiment(
    gold: str,
    fields: str | None,
    columns: str | None,
    fmt: str | None,
    train_path: str | None,
    holdout: float | None,
    train_limit: int | None,
    method: str,
    stream: bool,
    seed: int,
    as_json: bool,
) -> None:
    """Accuracy and macro-F1 on GOLD's `label` (0 negative, 1 positive) and `text` fields.

    Without --train or --holdout the shipped default model is measured; with them, the default
    plus the training labels. A three-class model's neutral counts as label 1 (not negative).
    """
    from qingting.core.evaluation import evaluate_sentiment, split_holdout

    rows = _labeled_rows(gold, fields, columns, fmt)
    train = _labeled_rows(train_path, fields, columns, fmt) if train_path else None
    if holdout is not None:
        if train is not None:
            raise click.UsageError("use either --train or --holdout, not both")
        train, rows = split_holdout(rows, holdout, seed)
    if train_limit is not None and train is None:
        raise click.UsageError("--train-limit needs --train or --holdout")
    report = evaluate_sentiment(rows, train, seed=seed, train_limit=train_limit, method=method, stream=stream)
    figures = {
        **_asdict(report),
        "items_per_second": round(report.items_per_second, 1),
        "model": "trained" if report.trained_on else "default",
        "method": method,
    }
    if as_json:
        click.echo(orjson.dumps(figures).decode())
        return
    model = f"{method} + {report.trained_on} training rows" if report.trained_on else f"shipped model ({method})"
    click.echo(f"model            {model}")
    click.echo(f"items            {report.items}")
    click.echo(f"accuracy         {report.accuracy:.4f}")
    click.echo(f"macro-F1         {report.macro_f1:.4f}")
    click.echo(f"items/s          {report.items_per_second:,.0f}")


@eval_.command(name="dedupe")
@click.argument("pairs", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="Near-duplicate threshold (default: the engine's).",
)
@click.option(
    "--positive-min",
    type=int,
    default=1,
    show_default=True,
    help="Smallest label that counts as a duplicate (e.g. 5 for STS-B's 0–5 scale).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_dedupe(pairs: str, threshold: float | None, positive_min: int, as_json: bool) -> None:
    """Precision/recall/F1 of the duplicate decision on PAIRS (s1<TAB>s2<TAB>label per line).

    Each pair goes to a fresh detector: is s2 reported as a duplicate of s1? Texts are put in the
    same matching form the pipeline uses.
    """
    import time

    from qingting.core.dedupe import DEFAULT_THRESHOLD, Deduper, evaluate_pairs, read_pairs
    from qingting.core.text import normalize

    th = threshold if threshold is not None else DEFAULT_THRESHOLD
    t0 = time.perf_counter()
    try:
        scores = evaluate_pairs(
            read_pairs(pairs, positive_min=positive_min),
            lambda: Deduper(threshold=th),
            fold=lambda t: normalize(t).match,
        )
    except ValueError as e:
        _fail(str(e))
        raise
    seconds = time.perf_counter() - t0
    figures = {
        "pairs": scores.n,
        "threshold": th,
        "precision": scores.precision,
        "recall": scores.recall,
        "f1": scores.f1,
        "tp": scores.tp,
        "fp": scores.fp,
        "fn": scores.fn,
        "tn": scores.tn,
        "pairs_per_second": round(scores.n / seconds, 1) if seconds else 0.0,
    }
    if as_json:
        click.echo(orjson.dumps(figures).decode())
        return
    click.echo(f"pairs            {scores.n} (threshold {th})")
    click.echo(f"precision        {scores.precision:.4f}")
    click.echo(f"recall           {scores.recall:.4f}")
    click.echo(f"F1               {scores.f1:.4f}")
    click.echo(f"confusion        tp {scores.tp}  fp {scores.fp}  fn {scores.fn}  tn {scores.tn}")


@main.group()
def sentiment() -> None:
    """Train and use sentiment models."""


@sentiment.command(name="train")
@click.argument("train_path", metavar="TRAIN", type=click.Path(exists=True, dir_okay=False))
@_input_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Where to write the model (.npz).")
@click.option("--seed", type=int, default=0, show_default=True)
def sentiment_train(
    train_path: str, fields: str | None, columns: str | None, fmt: str | None, output: str, seed: int
) -> None:
    """Train a sentiment model on your own labeled posts (label 0 negative / 1 positive, text).

    The model is the shipped default adapted to these texts, plus your labels (three classes;
    decisions 0095, 0127).
    """
    from qingting.core import sentiment as sent
    from qingting.core.sentiment import sentiment_text
    from qingting.core.text import normalize

    rows = _labeled_rows(train_path, fields, columns, fmt)
    if len({y for _, y in rows}) < 2:
        _fail(f"{train_path}: training needs both labels, 0 and 1")
    texts = [sentiment_text(normalize(t)) for t, _ in rows]
    # the training texts are also the stream the default is adapted to first, as the job does
    model = sent.train_with_labels(texts, [y for _, y in rows], seed=seed, stream=texts)
    model.save(Path(output))
    click.echo(f"trained on {len(rows)} rows → {output}")


def _register_interfaces() -> None:
    """Add the commands of the other interfaces (web platform, sources, warnings) to ``main``.

    Each lives beside its own code and exposes ``register(group)``; importing them costs little
    (Django itself is imported only when one of its commands runs).
    """
    import importlib

    for module in (
        "qingting.web.cli",
        "qingting.sources.cli",
        "qingting.commands.warnings",
        "qingting.commands.proofread",
        "qingting.commands.channel",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:  # the module exists but one of its dependencies is missing
                raise
            continue
        mod.register(main)


_register_interfaces()

if __name__ == "__main__":  # pragma: no cover
    main()
