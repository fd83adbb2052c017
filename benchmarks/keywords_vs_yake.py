"""tagger's keyword model against YAKE, side by side on the same held-out articles in one run.

    pip install -e ".[bench]"
    python benchmarks/keywords_vs_yake.py --data-dir ../shared/data [--split random|time]
        [--tagged-share S]

Held out: the Alarabiya articles of ANT that carry editors' tags (the only real keyword
ground truth in the corpora), after the exact-duplicate removal every tagger model sees;
20 % of them, drawn at random with seed 0 (``--split random``, how the held-back part of
the shared copy is spread over its id ranges) or the latest 20 % by publication date
(``--split time``). Articles of ANT whose body shares half of its 5-word shingles with a
held-out article are left out of training too (near duplicates: the same story re-edited).

Trained on: everything else the bundled model learns from (SANAD-AlKhaleej and ANT
multi-outlet through ``data/label_map.json``), with its default keyword settings. The
held-out articles are never used for a choice: the score threshold comes from
cross-fitted training articles.

Compared, on the same articles, each given the title and body:

* tagger: its default output (score threshold, at most ``max_keywords``), and its ranking
  cut at 5 (threshold 0) for reference;
* YAKE 0.7 in its Arabic mode, ``yake.KeywordExtractor(lan="ar", n=3, top=5)``: phrases of
  up to three words as in tagger, its default deduplication and window;
* the training-tag vocabulary ranked by how often editors used each tag: the five most
  used training tags found (as whole words, after normalisation) in the article.

Keywords match exactly after tagger's normalisation (`tagger.metrics.keyword_metrics`):
P/R/F1 at 5 divide by 5 whatever the list length, "own" uses each list as returned.
Throughput is keyword extraction alone, one process, articles per second of wall time.
Prints a Markdown table with tagger / YAKE ratios, then where the editors' tags that
tagger's ranking leaves out of its first five stand in it, split by whether editors used
that tag in training.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from importlib.metadata import version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tagger.data import load_labelled  # noqa: E402
from tagger.keywords import KeywordModel  # noqa: E402
from tagger.metrics import keyword_metrics  # noqa: E402
from tagger.normalize import normalize  # noqa: E402

SHINGLE = 5
NEAR_DUPLICATE = 0.5


def _shingles(text: str) -> set[int]:
    words = normalize(text).split()
    return {hash(tuple(words[i:i + SHINGLE])) for i in range(max(len(words) - SHINGLE + 1, 1))}


def near_duplicates(held: list[int], candidates: list[int], texts: list[str]) -> set[int]:
    """Rows of ``candidates`` whose body shares at least NEAR_DUPLICATE (Jaccard) of its
    5-word shingles with a held-out body."""
    index: dict[int, list[int]] = defaultdict(list)
    held_sets = {}
    for i in held:
        held_sets[i] = _shingles(texts[i])
        for s in held_sets[i]:
            index[s].append(i)
    found = set()
    for j in candidates:
        mine = _shingles(texts[j])
        shared = Counter(i for s in mine for i in index.get(s, ()))
        if any(n / (len(mine) + len(held_sets[i]) - n) >= NEAR_DUPLICATE
               for i, n in shared.items()):
            found.add(j)
    return found


def split(data, data_dir: Path, how: str, test_size: float, seed: int):
    groups = np.asarray(data.groups)
    tagged = np.flatnonzero((groups == "alarabia") & np.array([bool(t) for t in data.tags]))
    n_test = round(test_size * len(tagged))
    if how == "random":
        held = tagged[np.random.RandomState(seed).permutation(len(tagged))[:n_test]]
    else:
        import pandas as pd

        dates = pd.read_parquet(data_dir / "ant_multisource.parquet", columns=["id", "date"])
        when = dict(zip(dates.id, pd.to_datetime(dates.date, utc=True, errors="coerce",
                                                 format="%a, %d %b %Y %H:%M:%S %z")))
        stamps = np.array([when[data.ids[i]].value for i in tagged])
        held = tagged[np.argsort(stamps, kind="stable")[-n_test:]]
    held = sorted(int(i) for i in held)
    # Near duplicates are looked for in ANT (news of the same months); SANAD-AlKhaleej is
    # another outlet and period, and its bodies lack punctuation.
    held_set = set(held)
    ant = [int(i) for i in np.flatnonzero(groups != "alkhaleej") if i not in held_set]
    near = near_duplicates(held, ant, data.texts)
    train = sorted(set(range(len(data))) - set(held) - near)
    return train, held, len(near)


def frequency_baseline(train_tags, titles, texts, k=5) -> list[list[str]]:
    counts = Counter(normalize(t) for tags in train_tags for t in tags)
    vocabulary = [t for t, _ in counts.most_common() if t]
    out = []
    for title, text in zip(titles, texts):
        words = " " + " ".join(re.findall(r"\w+", normalize(f"{title} {text}"))) + " "
        out.append([t for t in vocabulary if f" {t} " in words][:k])
    return out


def missed_tags(ranked, gold, train_tags) -> Counter:
    """Count the gold tags outside the first five of ``ranked`` (an article's whole ranking)
    by (tagged in training or not, where the ranking has them)."""
    seen = {normalize(t) for tags in train_tags for t in tags}
    found = Counter()
    for keywords, tags in zip(ranked, gold):
        keys = [normalize(k) for k, _ in keywords]
        for tag in {normalize(t) for t in tags} - set(keys[:5]):
            rank = keys.index(tag) + 1 if tag in keys else None
            where = ("not a candidate" if rank is None else "6th to 10th" if rank <= 10
                     else "11th to 20th" if rank <= 20 else "below 20th")
            found[("tagged in training" if tag in seen else "never tagged in training",
                   where)] += 1
    return found


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--split", choices=("random", "time"), default="random")
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tagged-share", type=float, default=1.0,
                        help="keep the tags of this share of the tagged training articles "
                             "(the others train as untagged): how accuracy grows with tags")
    parser.add_argument("--share-seed", type=int, default=0,
                        help="seed of the --tagged-share draw")
    args = parser.parse_args()
    if not 0 < args.tagged_share <= 1:
        parser.error("--tagged-share must be in (0, 1]")
    import yake

    data = load_labelled([args.data_dir / "sanad_khaleej.parquet",
                          args.data_dir / "ant_multisource.parquet"],
                         title_col="title", tags_col="tags", group_col="source", id_col="id",
                         label_map=ROOT / "data" / "label_map.json")
    train, held, n_near = split(data, args.data_dir, args.split, args.test_size, args.seed)
    pick = lambda column, rows: [column[i] for i in rows]  # noqa: E731
    titles, texts, gold = (pick(c, held) for c in (data.titles, data.texts, data.tags))
    train_tags = pick(data.tags, train)
    tagged = np.flatnonzero([bool(tags) for tags in train_tags])
    n_dropped = len(tagged) - round(args.tagged_share * len(tagged))
    for i in np.random.RandomState(args.share_seed).permutation(tagged)[:n_dropped]:
        train_tags[i] = []

    start = time.perf_counter()
    model = KeywordModel().fit(pick(data.texts, train), pick(data.titles, train), train_tags)
    fit_seconds = time.perf_counter() - start
    n_tagged = len(tagged) - n_dropped

    model.predict_many(texts[:20], titles[:20])  # warm the word cache as a service would be
    ours, ours_s = timed(model.predict_many, texts, titles)
    ranked = model.predict_many(texts, titles, 5, threshold=0.0)
    extractor = yake.KeywordExtractor(lan="ar", n=3, top=5)
    theirs, theirs_s = timed(lambda: [extractor.extract_keywords(f"{title}\n{text}")
                                      for title, text in zip(titles, texts)])
    baseline, base_s = timed(frequency_baseline, train_tags, titles, texts)

    def row(name, lists, seconds):
        lists = [[k if isinstance(k, str) else k[0] for k in ks] for ks in lists]
        return (name, keyword_metrics(lists, gold, k=5), np.mean([len(ks) for ks in lists]),
                len(held) / seconds if seconds else None)

    rows = [row("tagger (default output)", ours, ours_s),
            row("tagger (its ranking cut at 5)", ranked, None),
            row(f"YAKE {version('yake')} (lan=ar, n=3, top=5)", theirs, theirs_s),
            row("training-tag vocabulary by frequency", baseline, base_s)]
    print(f"Held out: {len(held)} tagged Alarabiya articles ({args.split} split, "
          f"{args.test_size:.0%}, seed {args.seed}); trained on {len(train)} articles "
          f"({n_tagged} tagged; {n_near} near duplicates of held-out articles left out) "
          f"in {fit_seconds:.0f} s; threshold {model.threshold_:.2f}.\n")
    print("| keywords | P@5 | R@5 | F1@5 | F1@own length | mean length | articles/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m, length, speed in rows:
        print(f"| {name} | {m['p_at_5']:.3f} | {m['r_at_5']:.3f} | {m['f1_at_5']:.3f} | "
              f"{m['f1_at_own']:.3f} | {length:.1f} | {'' if speed is None else f'{speed:.0f}'} |")
    (_, a, _, sa), (_, b, _, sb) = rows[0], rows[2]
    ratios = [a[name] / b[name] for name in ("p_at_5", "r_at_5", "f1_at_5", "f1_at_own")]
    print("| **tagger / YAKE** | " + " | ".join(f"{r:.1f}" for r in ratios) + f" | | {sa / sb:.1f} |")
    missed = missed_tags(model.predict_many(texts, titles, 10_000, threshold=0.0), gold,
                         train_tags)
    n_gold = sum(len({normalize(t) for t in tags}) for tags in gold)
    places = ("6th to 10th", "11th to 20th", "below 20th", "not a candidate")
    print(f"\nEditors' tags outside tagger's first five ({sum(missed.values())} of {n_gold}), "
          "by where its ranking has them:\n")
    print("| tag | " + " | ".join(places) + " | all |")
    print("|---|" + "---:|" * (len(places) + 1))
    for kind in ("tagged in training", "never tagged in training"):
        counts = [missed[kind, place] for place in places]
        print(f"| {kind} | " + " | ".join(map(str, counts)) + f" | {sum(counts)} |")
    share = "" if args.tagged_share == 1 else (f" --tagged-share {args.tagged_share:g}"
                                               f" --share-seed {args.share_seed}")
    print("\n`python benchmarks/keywords_vs_yake.py --data-dir PATH/TO/CORPORA "
          f"--split {args.split}{share}`")


if __name__ == "__main__":
    main()
