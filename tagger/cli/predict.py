"""``tagger predict``: sections and keywords for a text, a file, a page or a whole corpus."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError
from . import app
from ._common import (ModelOption, article_text, load_tagger, log, model_path, progress_bar,
                      read_text_file, reports_errors)


class OutputFormat(str, Enum):
    json = "json"
    table = "table"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


@app.command(no_args_is_help=True)
@reports_errors
def predict(
    text: Annotated[Optional[str], typer.Argument(help="Article text to tag.", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Read one article from a text file ('-' for stdin).", show_default=False)] = None,
    page: Annotated[Optional[Path], typer.Option("--page", "-p", help="A scraped article page: predict on its title and body only.", show_default=False)] = None,
    input: Annotated[Optional[Path], typer.Option("--input", "-i", help="Batch input: .jsonl, .csv or .parquet with a text column.", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Batch output (JSON Lines, one object per input row). Default: stdout.", show_default=False)] = None,
    model: ModelOption = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Text column of --input.")] = "text",
    id_col: Annotated[Optional[str], typer.Option("--id-col", help="Column of --input carried over as 'id' ('' for none). Default: 'id' when present.", show_default=False)] = None,
    title_col: Annotated[Optional[str], typer.Option("--title-col", help="Column of --input holding the title, read with the text ('' for none). Default: 'title' when present.", show_default=False)] = None,
    top_k: Annotated[Optional[int], typer.Option("--top-k", min=1, help="Keep only the N best sections in the output.", show_default=False)] = None,
    max_keywords: Annotated[Optional[int], typer.Option("--max-keywords", min=0, help="At most N keywords (default: the model's).", show_default=False)] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="Output for a single article.")] = OutputFormat.json,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per batch with --input.")] = 1000,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted --input run after its last complete row.")] = False,
    engine: Annotated[Engine, typer.Option("--engine", help="Where --input is predicted: 'local' (this process) or 'dask' (a Dask cluster; --input may be a quoted glob, --output is a directory of part files).")] = Engine.local,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="With --engine dask: address of a running Dask scheduler (default: a local cluster, one worker per core).", show_default=False)] = None,
) -> None:
    """Predict the section and keywords of Arabic news articles."""
    sources = [name for name, value in (("TEXT", text), ("--file", file), ("--page", page),
                                        ("--input", input)) if value is not None]
    if len(sources) != 1:
        raise InputError("give exactly one of TEXT, --file, --page or --input"
                         + (f" (got {', '.join(sources)})" if sources else ""))
    title_col, title_required = _column_option(title_col, "title")
    id_col, id_required = _column_option(id_col, "id")
    if engine is Engine.dask or scheduler is not None:
        return _predict_dask(engine, scheduler, input, output, model_path(model), resume,
                             text_col=text_col, id_col=id_col, title_col=title_col,
                             title_required=title_required, id_required=id_required, top_k=top_k,
                             max_keywords=max_keywords, batch_size=batch_size)
    if input is not None:
        from ..batch import check_output, predict_file
        from ..data import iter_text_batches

        # The input and output are checked before the model is loaded: a mistake shows at once.
        batches = iter_text_batches(input, text_col=text_col, id_col=id_col, title_col=title_col,
                                    batch_size=batch_size, title_required=title_required,
                                    id_required=id_required)
        check_output(input, output, resume=resume)
        tagger = load_tagger(model)
        with progress_bar(output is not None) as progress:
            result = predict_file(tagger, input, output, batch_size=batch_size, top_k=top_k,
                                  max_keywords=max_keywords, resume=resume, stdout=sys.stdout,
                                  progress=progress, batches=batches)
        if output is not None:
            resumed = f" (resumed after {result.skipped})" if result.skipped else ""
            typer.echo(f"wrote {result.rows} predictions to {output}{resumed}", err=True)
        return
    if output is not None or resume:
        raise InputError("--output and --resume work with --input only; a single article's "
                         "prediction is printed (redirect it to a file with '>')")
    if page is not None:
        page_text = read_text_file(page, page=True)
        tagger = load_tagger(model)
        prediction = tagger.predict_page(page_text, top_k=top_k, max_keywords=max_keywords)
    else:
        text = read_text_file(file) if file is not None else article_text(text, "the TEXT argument")
        tagger = load_tagger(model)
        prediction = tagger.predict(text, top_k=top_k, max_keywords=max_keywords)
    if prediction.section is None:  # said on stdout too, as "section": null and a reason
        log.warning("%s: no section predicted", prediction.reason)
    if format is OutputFormat.table:
        typer.echo(_table(prediction))
    else:
        typer.echo(prediction.to_json())


def _column_option(value: str | None, default: str) -> tuple[str, bool]:
    """The column an optional column option (--title-col, --id-col) reads, and whether the
    input must have it: the default column is read when there is one, a column named by
    the user must be there, and '' reads none."""
    return (default if value is None else value), bool(value)


def _predict_dask(engine, scheduler, input, output, model, resume, **options) -> None:
    """``--engine dask``: every partition of the --input files to a part file in --output."""
    if engine is not Engine.dask:
        raise InputError("--scheduler needs --engine dask")
    if input is None:
        raise InputError("--engine dask predicts files: give them with --input (a quoted glob "
                         "such as 'corpus/*.parquet')")
    if output is None:
        raise InputError("--engine dask needs --output DIR: each partition is written to its "
                         "own file there")
    if resume:
        raise InputError("--resume works with --engine local only; a failed dask run leaves "
                         "nothing behind, so run it again")
    from ..dask_engine import predict_partitions

    with progress_bar() as progress:
        result = predict_partitions(model, str(input), output, scheduler=scheduler,
                                    progress=progress, **options)
    typer.echo(f"wrote {result.rows} predictions in {len(result.parts)} parts to {output}",
               err=True)


def _table(prediction) -> str:
    lines = [f"section   {prediction.section or '-'}"
             + (f"  ({prediction.reason})" if prediction.reason else "")]
    for label, score in prediction.sections:
        lines.append(f"  {label:<14} {score:6.3f}")
    if prediction.keywords:
        lines.append("keywords  " + "، ".join(k for k, _ in prediction.keywords))
    return "\n".join(lines)
