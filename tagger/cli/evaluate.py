"""``tagger evaluate``: metrics, figures and misclassified rows of a model on labelled data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..errors import InputError
from . import app
from ._common import ModelOption, load_tagger, reports_errors, warn_unread_titles


@app.command(no_args_is_help=True)
@reports_errors
def evaluate(
    data: Annotated[List[str], typer.Option("--data", "-d", help="Labelled data: .parquet, .csv, .jsonl, a folder of label/*.txt, or a hub dataset user/name. Repeat for several.", show_default=False)],
    model: ModelOption = None,
    report: Annotated[Optional[Path], typer.Option("--report", "-r", help="Directory to write metrics.json, errors.jsonl and the figures to.", show_default=False)] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column holding the article body.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Column holding the section label.")] = "label",
    title_col: Annotated[Optional[str], typer.Option("--title-col", help="Optional title column (title and body are both used).", show_default=False)] = None,
    tags_col: Annotated[Optional[str], typer.Option("--tags-col", help="Optional column of editor tags: also measure keywords.", show_default=False)] = None,
    id_col: Annotated[str, typer.Option("--id-col", help="Column carried into errors.jsonl as 'id' when present.")] = "id",
    label_map: Annotated[Optional[Path], typer.Option("--label-map", help="JSON object mapping source labels to sections (null drops a label).", show_default=False)] = None,
    split: Annotated[str, typer.Option("--split", help="Split to read from a hub dataset.")] = "train",
    by: Annotated[Optional[str], typer.Option("--by", help="Also report the metrics per value of this column (e.g. source: per outlet).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty --report directory.")] = False,
) -> None:
    """Measure a model on labelled articles and write a report directory."""
    from ..data import check_inputs

    # Mistakes in paths and columns are reported at once, before the long imports and reads.
    check_inputs(data, text_col=text_col, label_col=label_col, label_map=label_map)
    warn_unread_titles(data, title_col)
    if report is not None and not report.parent.is_dir():
        raise InputError(f"the directory for --report does not exist: {report.parent} "
                         "(create it first)")
    tagger = load_tagger(model)
    from ..evaluate import evaluate as run_evaluation
    from ..metrics import format_table

    result = run_evaluation(tagger, data, text_col=text_col, label_col=label_col,
                            title_col=title_col, tags_col=tags_col, id_col=id_col,
                            label_map=label_map, split=split, by=by, report=report, force=force)
    metrics = result.metrics
    typer.echo(format_table(metrics))
    if metrics.get("keywords"):
        typer.echo(_keyword_line(metrics["keywords"]))
    if metrics.get("by"):
        typer.echo("")
        typer.echo(_group_table(metrics["by_column"], metrics["by"]))
    if report is not None:
        typer.echo(f"\n{len(result.errors)} misclassified rows; report written to {result.report}")


def _keyword_line(km: dict) -> str:
    return (f"keywords: P@5 {km['p_at_5']:.3f}  R@5 {km['r_at_5']:.3f}  F1@5 {km['f1_at_5']:.3f}  "
            f"F1@own {km['f1_at_own']:.3f}  (n={km['n']})")


def _group_table(column: str, groups: dict) -> str:
    width = max(len(column), *(len(str(g)) for g in groups)) + 2
    lines = [f"{column:<{width}}{'n':>8}{'accuracy':>10}{'macro-F1':>10}"]
    for group, m in groups.items():
        lines.append(f"{group:<{width}}{m['n']:>8d}{m['accuracy']:>10.4f}{m['macro_f1']:>10.4f}")
    return "\n".join(lines)
