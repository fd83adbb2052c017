"""``tagger info``: the model card (from meta.json) and the strongest words of each section."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app
from ._common import ModelOption, load_tagger, reports_errors


class InfoFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
@reports_errors
def info(
    model: ModelOption = None,
    texts: Annotated[Optional[Path], typer.Option("--texts", help="Articles (.csv, .jsonl, .parquet or a folder of .txt) whose words rank the strongest features.", show_default=False)] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Text column of --texts.")] = "text",
    rows: Annotated[int, typer.Option("--rows", min=1, help="Read at most this many articles of --texts.")] = 5000,
    top: Annotated[int, typer.Option("--top", "-n", min=1, help="Strongest words per section.")] = 10,
    format: Annotated[InfoFormat, typer.Option("--format", help="Readable text or JSON.")] = InfoFormat.text,
) -> None:
    """Print the model card: version, sections, data, held-out metrics, parameters, files."""
    tagger = load_tagger(model)
    card = model_card(tagger)
    if texts is not None:
        card["top_features"] = _top_features(tagger, texts, text_col, rows, top)
        card["top_features_from"] = str(texts)
    if format is InfoFormat.json:
        typer.echo(json.dumps(card, ensure_ascii=False, indent=2))
    else:
        typer.echo(_text(card))


def model_card(tagger) -> dict:
    meta = tagger.meta
    section_model = meta.get("section_model", {})
    return {
        "path": None if tagger.path is None else str(tagger.path),
        "tagger_version": meta.get("tagger_version"),
        "format_version": meta.get("format_version"),
        "sklearn_version": meta.get("sklearn_version"),
        "created": meta.get("created"),
        "sections": list(tagger.sections),
        "keyword_model": tagger.keyword_model is not None,
        "data": meta.get("data", {}),
        "metrics": meta.get("metrics", {}),
        "parameters": {**meta.get("parameters", {}), "alpha": section_model.get("alpha"),
                       "epochs": section_model.get("epochs"),
                       "features": section_model.get("features")},
        "files": {name: f.get("bytes") for name, f in meta.get("files", {}).items()},
        "top_features": meta.get("top_features"),
    }


def _top_features(tagger, path: Path, text_col: str, rows: int, top: int) -> dict:
    from itertools import islice

    from ..data import iter_text_batches
    from ..explain import top_features

    batches = iter_text_batches(path, text_col=text_col, id_col=None, title_col=None,
                                batch_size=min(rows, 1000))
    texts = islice((text for _, batch, _ in batches for text in batch), rows)
    return top_features(tagger, texts, k=top)


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _known(parts: list[tuple[str, object]]) -> list[str]:
    """The ``(format, value)`` parts whose value is recorded, formatted."""
    return [text.format(value) for text, value in parts if value is not None]


def _data_summary(data: dict, streaming: bool) -> str:
    """What meta.json records of the training data, never a missing figure: a model
    trained with --streaming removed no duplicates, and older ones did not count rows."""
    removed = None if streaming else data.get("duplicates_removed")
    rows = " ".join(_known([("{} articles", data.get("rows")),
                            ("after removing {} duplicates", removed)]))
    how = ["streamed, duplicates not removed"] if streaming else []
    split = ", ".join(_known([("trained on {}", data.get("train_rows")),
                              ("held out {}", data.get("test_rows"))]))
    return "; ".join(part for part in [rows, *how, split] if part)


def _source_summary(source: dict) -> str:
    """One input of the training data, with the rows read and kept where recorded."""
    counts = ", ".join(_known([("{} rows", source.get("rows")), ("kept {}", source.get("kept"))]))
    return f"{source.get('data')}: {counts}" if counts else str(source.get("data"))


def _text(card: dict) -> str:
    from ..metrics import format_table

    data, metrics = card["data"], card["metrics"] or {}
    lines = [f"model     {card['path'] or '(not saved)'}",
             f"version   tagger {card['tagger_version']}, model format {card['format_version']}, "
             f"scikit-learn {card['sklearn_version']}",
             f"created   {card['created']}",
             f"sections  {', '.join(card['sections'])}",
             f"keywords  {'yes' if card['keyword_model'] else 'no keyword model'}"]
    if data:
        lines.append("data      " + _data_summary(data, bool(card["parameters"].get("streaming"))))
        lines += [f"          {_source_summary(source)}" for source in data.get("sources", [])]
    params = {k: v for k, v in card["parameters"].items() if v is not None}
    lines.append("params    " + ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items()))
    lines.append("files     " + ", ".join(f"{name} {_size(n)}" for name, n in card["files"].items()))
    if metrics.get("held_out"):
        lines += ["", "held-out metrics:", format_table(metrics["held_out"])]
    if metrics.get("keywords"):
        km = metrics["keywords"]
        lines.append(f"keywords: P@5 {km['p_at_5']:.3f}  R@5 {km['r_at_5']:.3f}  "
                     f"F1@5 {km['f1_at_5']:.3f}  (n={km['n']})")
    lines.append("")
    features = card.get("top_features")
    if features:
        lines.append("strongest words per section:")
        for section, items in features.items():
            lines.append(f"  {section}: " + "، ".join(word for word, _ in items))
    else:
        lines.append("strongest words: features are hashed, so they need words to rank; "
                     "run 'tagger info --texts articles.csv' to list them")
    return "\n".join(lines)
