"""``tagger train``: fit a model on labelled data and write the model directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..errors import InputError
from ..persist import check_out
from . import app
from ._common import progress_bar, reports_errors, warn_unread_titles


@app.command(no_args_is_help=True)
@reports_errors
def train(
    data: Annotated[List[str], typer.Option("--data", "-d", help="Labelled data: .parquet, .csv, .jsonl, a folder of label/*.txt, or a hub dataset user/name. Repeat for several.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.", show_default=False)],
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the article body.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the section label.")] = "label",
    title_col: Annotated[Optional[str], typer.Option("--title-col", help="Optional title column (title and body are both used).", show_default=False)] = None,
    tags_col: Annotated[Optional[str], typer.Option("--tags-col", help="Optional column of editor tags: also train a keyword model.", show_default=False)] = None,
    label_map: Annotated[Optional[Path], typer.Option("--label-map", help="JSON object mapping source labels to sections (null drops a label).", show_default=False)] = None,
    split: Annotated[str, typer.Option("--split", help="Split to read from a hub dataset.")] = "train",
    test_size: Annotated[float, typer.Option("--test-size", min=0.0, max=0.9, help="Share of rows held out for evaluation (stratified).")] = 0.2,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1, help="Random seed of the held-out split.")] = 0,
    alpha: Annotated[float, typer.Option("--alpha", min=1e-9, max=1.0, help="L2 penalty of the section classifier (smaller fits the training data more closely).")] = 2e-6,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the training data.")] = 2,
    max_keywords: Annotated[int, typer.Option("--max-keywords", min=1, help="Most keywords per article.")] = 8,
    streaming: Annotated[bool, typer.Option("--streaming", help="Read the data in chunks on every pass instead of loading it: for corpora bigger than memory (no duplicate removal, no keyword model).")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace --out if it exists.")] = False,
) -> None:
    """Train a section model (and a keyword model with --tags-col) on labelled articles."""
    from ..data import check_inputs, load_labelled

    # Mistakes in paths and columns are reported at once, before the long imports and reads.
    check_out(out, force)
    check_inputs(data, text_col=text_col, label_col=label_col, label_map=label_map)
    warn_unread_titles(data, title_col)

    if streaming:
        _train_streaming(data, out, force=force, text_col=text_col, label_col=label_col,
                         title_col=title_col, tags_col=tags_col, label_map=label_map, split=split,
                         test_size=test_size, seed=seed, alpha=alpha, epochs=epochs)
        return
    with progress_bar() as progress:
        # Read before scikit-learn is imported: unusable data is reported without that wait.
        progress("loading data", 0, 1)
        dataset = load_labelled(data, text_col=text_col, label_col=label_col, title_col=title_col,
                                tags_col=tags_col, label_map=label_map, split=split)
        progress("loading data", 1, 1)
        from ..metrics import format_table
        from ..train import train as run_training

        result = run_training(dataset, out=out, force=force, text_col=text_col, label_col=label_col,
                              title_col=title_col, tags_col=tags_col, label_map=label_map,
                              split=split, test_size=test_size, seed=seed, alpha=alpha, epochs=epochs,
                              max_keywords=max_keywords, progress=progress)
    info = result.data
    typer.echo(f"trained on {result.n_train} articles, held out {result.n_test} "
               f"({info['duplicates_removed']} duplicates removed) in {result.seconds:.0f} s")
    if result.metrics:
        typer.echo(format_table(result.metrics))
    if result.keyword_metrics:
        km = result.keyword_metrics
        typer.echo(f"keywords: P@5 {km['p_at_5']:.3f}  R@5 {km['r_at_5']:.3f}  "
                   f"F1@5 {km['f1_at_5']:.3f}  F1@own {km['f1_at_own']:.3f}  (n={km['n']})")
    typer.echo(f"model written to {result.path}")


def _train_streaming(data, out, *, tags_col, **options) -> None:
    from ..metrics import format_table
    from ..train import train_streaming

    if tags_col is not None:
        raise InputError("--tags-col cannot be used with --streaming: the keyword model learns "
                         "from its articles in memory; train it without --streaming")
    with progress_bar() as progress:
        result = train_streaming(data, out=out, progress=progress, **options)
    typer.echo(f"trained on {result.n_train} articles (streamed), held out {result.n_test} "
               f"in {result.seconds:.0f} s")
    if result.metrics:
        typer.echo(format_table(result.metrics))
    typer.echo(f"model written to {result.path}")
