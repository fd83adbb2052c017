"""The value returned for one article: its section, scores and keywords."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

__all__ = ["Prediction"]


@dataclass(frozen=True)
class Prediction:
    """Section and keywords predicted for one article.

    ``section`` is ``None`` when the text gives the model nothing to go on (no Arabic
    words); ``reason`` then says why. ``sections`` lists ``(label, score)`` pairs, best
    first, with scores summing to 1 over all sections; ``keywords`` lists
    ``(keyword, score)`` pairs, best first.

    >>> Prediction("sports", 0.9, [("sports", 0.9), ("economy", 0.1)]).to_dict()["section"]
    'sports'
    """

    section: str | None
    score: float | None
    sections: list[tuple[str, float]] = field(default_factory=list)
    keywords: list[tuple[str, float]] = field(default_factory=list)
    reason: str | None = None

    def to_dict(self) -> dict:
        out = {
            "section": self.section,
            "score": None if self.score is None else round(float(self.score), 4),
            "sections": [{"label": l, "score": round(float(s), 4)} for l, s in self.sections],
            "keywords": [{"keyword": k, "score": round(float(s), 4)} for k, s in self.keywords],
        }
        if self.reason:
            out["reason"] = self.reason
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def _repr_html_(self) -> str:  # Jupyter shows predictions as a small table
        from html import escape

        rows = "".join(f"<tr><td>{escape(l)}</td><td>{s:.3f}</td></tr>" for l, s in self.sections)
        kws = "، ".join(escape(k) for k, _ in self.keywords) or "&ndash;"
        head = escape(self.section) if self.section else f"none ({escape(self.reason or '')})"
        return (f"<div><b>section:</b> {head}<br><b>keywords:</b> <span dir='rtl'>{kws}</span>"
                f"<table><tr><th>section</th><th>score</th></tr>{rows}</table></div>")
