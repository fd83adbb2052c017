"""``tagger explain``: the words that pushed a prediction most, and why each keyword was chosen."""

from __future__ import annotations

import json
import unicodedata
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError
from . import app
from ._common import ModelOption, article_text, load_tagger, log, read_text_file, reports_errors


class ExplainFormat(str, Enum):
    table = "table"
    json = "json"


@app.command(no_args_is_help=True)
@reports_errors
def explain(
    text: Annotated[Optional[str], typer.Argument(help="Article text to explain.", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Read the article from a text file ('-' for stdin).", show_default=False)] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="The article's title (used like 'predict' uses it).", show_default=False)] = None,
    model: ModelOption = None,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="How many words to show.")] = 10,
    format: Annotated[ExplainFormat, typer.Option("--format", help="A readable table or JSON.")] = ExplainFormat.table,
) -> None:
    """Show which words (and which of their n-grams) pushed the predicted section most."""
    if (text is None) == (file is None):
        raise InputError("give exactly one of TEXT or --file")
    text = read_text_file(file) if file is not None else article_text(text, "the TEXT argument")
    if title is not None:
        title = article_text(title, "--title") if title.strip() else None
    explanation = load_tagger(model).explain(text, title=title, top=top)
    if explanation.reason:  # as 'predict' warns: nothing was explained
        log.warning("%s: no section predicted", explanation.reason)
    if format is ExplainFormat.json:
        typer.echo(json.dumps(explanation.to_dict(), ensure_ascii=False))
    else:
        typer.echo(_table(explanation))


def _width(text: str) -> int:
    return sum(not unicodedata.combining(ch) for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _ngrams(items: list[dict], n: int = 3) -> str:
    return "  ".join(f"{item['ngram'].replace(' ', '_')} {item['contribution']:+.3f}"
                     for item in items[:n])


def _words(rows: list[dict]) -> list[str]:
    width = max([_width("word"), *(_width(row["word"]) for row in rows)]) + 2
    lines = [_pad("word", width) + f"{'contrib':>9}  top n-grams ('_' = word edge)"]
    for row in rows:
        lines.append(_pad(row["word"], width) + f"{row['contribution']:>+9.3f}  {_ngrams(row['ngrams'])}")
    return lines


def _table(explanation) -> str:
    if explanation.section is None:
        return f"section   -  ({explanation.reason})"
    runners = ", ".join(f"{label} {score:.3f}" for label, score in explanation.sections[1:3])
    lines = [f"section   {explanation.section}  (score {explanation.score:.3f}; next: {runners})",
             f"margin    {explanation.margin:+.3f} over the mean of the other sections "
             f"(bias {explanation.bias:+.3f})",
             f"          {explanation.method}", ""]
    lines += _words(explanation.words) if explanation.words else ["(no word pushed towards it)"]
    if explanation.against:
        lines += ["", "pushed against:"] + _words(explanation.against[:5])
    lines.append("")
    if explanation.keywords is None:
        lines.append("keywords: the model has no keyword model")
    elif not explanation.keywords:
        lines.append("keywords: none chosen")
    else:
        lines.append("keywords (score; strongest reasons):")
        for item in explanation.keywords:
            reasons = sorted((item.get("contributions") or {}).items(), key=lambda kv: -abs(kv[1] or 0))
            shown = "  ".join(f"{name} {value:+.2f}" for name, value in reasons[:3] if value is not None)
            score = item.get("score")
            lines.append(f"  {item.get('keyword')}  {'' if score is None else f'{score:.2f}'}  {shown}")
    return "\n".join(lines)
