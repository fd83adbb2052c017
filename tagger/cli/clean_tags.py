"""``tagger clean-tags``: repair a scraped page's own keyword list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from ._common import ModelOption, load_tagger, read_text_file, reports_errors


@app.command("clean-tags", no_args_is_help=True)
@reports_errors
def clean_tags(
    page: Annotated[Path, typer.Argument(help="A scraped article page ('-' for stdin).", show_default=False)],
    model: ModelOption = None,
    max_keywords: Annotated[Optional[int], typer.Option("--max-keywords", min=0, help="At most N predicted keywords to merge in.", show_default=False)] = None,
    plain: Annotated[bool, typer.Option("--plain", help="Print the tags one per line instead of JSON.")] = False,
) -> None:
    """Print the page's keyword list without navigation words, rejoined and merged with predictions."""
    text = read_text_file(page, page=True)
    items = load_tagger(model).clean_tags(text, max_keywords=max_keywords)
    if plain:
        for item in items:
            typer.echo(item["keyword"])
    else:
        for item in items:
            if item["score"] is not None:
                item["score"] = round(float(item["score"]), 4)
        typer.echo(json.dumps(items, ensure_ascii=False))
