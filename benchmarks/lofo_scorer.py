"""Leave-one-family-out: how well the alignment scorer generalizes to a generator family it was not fitted on,
measured on the tuning families only (the held-out family and the real-noise streams stay unseen).

    python -m benchmarks.fit_scorer --work W --dump D --out /tmp/scorer.json   # labelled candidates (not shipped)
    python -m benchmarks.lofo_scorer --dump D --seeds 0 1 2 3 4 5 [--hidden 0] [--floor-quantile none] [--drop ...]
        [--members 5]

For each tuning family: the scorer is fitted on the other families' labelled candidates (with the direction of
spoken non-answers taken from the other families only), its similarity floor and acceptance threshold chosen on them
as `fit_scorer` does, and it is scored (P/R/F1 after the one-to-one assignment) on the left-out family. The mean F1
over the folds is the figure to compare model variants by, before one of them is fitted on every tuning family and
measured once on the held-out streams (`benchmarks/eval_align.py`). The network's initial weights move one run's
mean a lot (six seeds of one variant: 0.538 to 0.634): compare variants by the mean over six seeds or more, and
read the spread printed beside it; `--members K` averages K networks per scorer, which damps it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import write_result
from benchmarks.fit_scorer import (THRESHOLDS, TRAIN_MIN_SPAN_PRECISION, labelled_accepted, null_per_hour,
                                   pick_threshold, precision_recall_f1, training_set, with_scores)
from multimodal_pipeline.align.core import off_topic, probabilities
from multimodal_pipeline.align.scorer import FEATURES, Scorer, fit_scorer
from multimodal_pipeline.align.truth import load_truth, token_f1
from multimodal_pipeline.contracts.align_config import AlignConfig


class Averaged:
    """Several scorers fitted alike from different initial weights; the probability is their mean (a variant,
    `--members`: it damps the run-to-run spread of one network)."""

    def __init__(self, members: list[Scorer]):
        self.members = members

    def predict(self, x: pl.DataFrame) -> np.ndarray:
        return np.mean([m.predict(x) for m in self.members], axis=0)


def fitted(train: list[dict], features: tuple[str, ...], hidden: int, alpha: float, floor_quantile: float | None,
           lag_ms: int, negatives: list[pl.DataFrame] = (), negative_weight: float = 0.0, seed: int = 0,
           min_span_precision: float = TRAIN_MIN_SPAN_PRECISION, members: int = 1):
    """The scorer fitted on `train`'s labelled candidates (and the real null set's shortlisted candidates
    `negatives`, all wrong, at `negative_weight`) and its similarity floor, as `fit_scorer` makes them; with
    `members` > 1, that many networks (seeds `seed * 100 + k`) averaged."""
    x, y, weight = training_set([s["labelled"] for s in train], list(negatives), negative_weight, lag_ms,
                                min_span_precision)
    nets = [fit_scorer(x, y, 0.5, {}, None, hidden=hidden, alpha=alpha, features=features, sample_weight=weight,
                       seed=seed if members == 1 else seed * 100 + k) for k in range(members)]
    scorer = nets[0] if members == 1 else Averaged(nets)
    floor = None
    if floor_quantile is not None:
        right = pl.concat([s["labelled"].filter(pl.col("correct") & pl.col("lead").is_null()) for s in train])
        floor = float(right["answer_similarity"].fill_nan(None).drop_nulls().quantile(floor_quantile))
    return scorer, floor


def grid_of(scored: list, answered: int, nulls: list[pl.DataFrame] = (), null_hours: float = 0.0) -> list[dict]:
    """P/R/F1 at every threshold, and the accepted pairs per hour on the scored real null candidates `nulls`."""
    grid = []
    for t in THRESHOLDS:
        p, r, f1 = precision_recall_f1(scored, answered, float(t))
        per_hour = null_per_hour(nulls, null_hours, float(t)) if null_hours else 0.0
        grid.append({"threshold": float(t), "precision": p, "recall": r, "f1": f1, "real_null_per_hour": per_hour})
    return grid


def losses(test: list[dict], tested: list, scorer, floor: float | None, threshold: float, lag_ms: int) -> dict:
    """Per answer style, the left-out messages that have a right candidate on the shortlist: accepted, or lost to the
    similarity floor (every right candidate off topic), below the threshold, or in the one-to-one assignment
    (`tested`: each test stream's scored candidates and truth)."""
    out: dict[str, dict[str, int]] = {}
    for s, right in zip(test, labelled_accepted(tested, threshold), strict=True):
        lab = s["labelled"]
        prob = probabilities(lab, scorer, lag_ms)
        low = off_topic(lab, floor) if floor is not None else np.zeros(lab.height, bool)
        lab = lab.with_columns(_p=pl.Series(prob), _off=pl.Series(low))
        done = set(right.filter(pl.col("correct"))["event_id"].to_list())
        for (event_id,), g in lab.filter(pl.col("correct")).group_by("event_id"):
            d = out.setdefault(g["style"][0], dict.fromkeys(
                ("with_right_candidate", "accepted", "floor", "below_threshold", "assignment"), 0))
            d["with_right_candidate"] += 1
            on_topic = g.filter(~pl.col("_off"))
            d["accepted" if event_id in done else "floor" if on_topic.is_empty()
              else "below_threshold" if on_topic["_p"].max() < threshold else "assignment"] += 1
    return out


def response_token_f1(scored: list[tuple[pl.DataFrame, pl.DataFrame]], threshold: float) -> float:
    """The mean response token F1 of the right accepted pairs (against the true answer's text)."""
    values = []
    for acc in labelled_accepted(scored, threshold):
        right = acc.filter(pl.col("correct"))
        values += [token_f1(a, b) for a, b in zip(right["response"].to_list(), right["reply_text"].to_list())]
    return float(np.mean(values)) if values else 0.0


def fold(train: list[dict], test: list[dict], features: tuple[str, ...], hidden: int, alpha: float,
         floor_quantile: float | None, min_precision: float, f1_slack: float, lag_ms: int,
         threshold_by: str = "in-sample", real_null: tuple[list[pl.DataFrame], float] = ([], 0.0),
         negative_weight: float = 0.0, max_real_null_per_hour: float = float("inf"), seed: int = 0,
         min_span_precision: float = TRAIN_MIN_SPAN_PRECISION, members: int = 1) -> dict:
    """Fit on `train`, choose the threshold, measure on `test`. `threshold_by`: "in-sample" (the grid on the
    training streams themselves, as `fit_scorer` does) or "inner-lofo" (the grid pooled over the training families,
    each measured with a scorer fitted on the others). `real_null`: the tuning real null set's candidates and hours
    (negatives at `negative_weight`; the threshold keeps its accepted pairs per hour within the maximum)."""
    nulls, hours = real_null
    scorer, floor = fitted(train, features, hidden, alpha, floor_quantile, lag_ms, nulls, negative_weight, seed,
                           min_span_precision, members)
    scored_nulls = [with_scores(c, scorer, floor, lag_ms) for c in nulls]
    if threshold_by == "inner-lofo":
        scored, answered = [], 0
        for family in sorted({s["family"] for s in train}):
            inner = [s for s in train if s["family"] != family]
            left = [s for s in train if s["family"] == family]
            sc, fl = fitted(inner, features, hidden, alpha, floor_quantile, lag_ms, seed=seed,
                            min_span_precision=min_span_precision, members=members)
            scored += [(with_scores(s["candidates"], sc, fl, lag_ms), s["truth"]) for s in left]
            answered += sum(s["answered"] for s in left)
        grid = grid_of(scored, answered)
    else:
        grid = grid_of([(with_scores(s["candidates"], scorer, floor, lag_ms), s["truth"]) for s in train],
                       sum(s["answered"] for s in train), scored_nulls, hours)
    chosen = pick_threshold(grid, min_precision, f1_slack, max_real_null_per_hour=max_real_null_per_hour)
    threshold = chosen["threshold"]
    tested = [(with_scores(s["candidates"], scorer, floor, lag_ms), s["truth"]) for s in test]
    p, r, f1 = precision_recall_f1(tested, sum(s["answered"] for s in test), threshold)
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3), "threshold": threshold,
            "token_f1": round(response_token_f1(tested, threshold), 3),
            "floor": None if floor is None else round(floor, 4),
            "real_null_per_hour": round(chosen.get("real_null_per_hour", 0.0), 2),
            "losses": losses(test, tested, scorer, floor, threshold, lag_ms)}


def without_family(streams: list[dict], nulls: list[pl.DataFrame], meta: dict, family: str
                   ) -> tuple[list[dict], list[pl.DataFrame]]:
    """The streams and real null candidates with `nonanswer_similarity` as the scorer fitted without `family` sees
    it: the cosine of each answer's start with the other families' non-answers (from the projections on each
    family's sum that `fit_scorer --dump` stored), so the left-out family's own non-answers are never used."""
    families = meta.get("nonanswer_families")
    if not families:
        return streams, nulls
    keep = [k for k, f in enumerate(families) if f != family]
    gram = np.asarray(meta["nonanswer_gram"])
    norm = float(np.sqrt(gram[np.ix_(keep, keep)].sum()))

    def redo(c: pl.DataFrame) -> pl.DataFrame:
        if "nonanswer_dots" not in c.columns:
            return c
        return c.with_columns(nonanswer_similarity=pl.col("nonanswer_dots").list.gather(keep).list.sum() / norm)

    return ([{**s, "candidates": redo(s["candidates"]), "labelled": redo(s["labelled"])} for s in streams],
            [redo(c) for c in nulls])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dump", required=True, help="the folder `fit_scorer --dump` wrote")
    parser.add_argument("--hidden", type=int, default=16, help="hidden units (0: a logistic regression)")
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--floor-quantile", default="0.5", help="a quantile, or 'none' for no similarity floor")
    parser.add_argument("--drop", nargs="*", default=[], choices=FEATURES, help="features left out")
    parser.add_argument("--min-precision", type=float, default=0.9)
    parser.add_argument("--f1-slack", type=float, default=0.01)
    parser.add_argument("--threshold-by", choices=["in-sample", "inner-lofo"], default="in-sample",
                        help="how each fold chooses its threshold on its training families (see `fold`)")
    parser.add_argument("--real-negative-weight", type=float, default=0.0,
                        help="train on the dump's real null candidates as negatives at this weight (0: not)")
    parser.add_argument("--max-real-null-per-hour", type=float, default=2.0,
                        help="the threshold keeps the dump's real null set within this many pairs an hour (default: "
                             "the null test's goal, 2; 'inf': no limit)")
    parser.add_argument("--train-min-span-precision", type=float, default=TRAIN_MIN_SPAN_PRECISION,
                        help="a right candidate is learnt as right only when this share of its response is the "
                             "answer (0: every right candidate, as before)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="the network's random seeds: one full run each, the mean reported")
    parser.add_argument("--members", type=int, default=1,
                        help="networks per scorer, their probabilities averaged (1: one network, as shipped)")
    parser.add_argument("--out", default="lofo_scorer")
    args = parser.parse_args()
    dump = Path(args.dump)
    meta = json.loads((dump / "meta.json").read_text())
    streams = []
    for k, (stream, truth_path) in enumerate(zip(meta["streams"], meta["truths"], strict=True)):
        truth = load_truth(truth_path)
        streams.append({"family": stream.split(":")[0], "candidates": pl.read_parquet(dump / f"candidates-{k}.parquet"),
                        "labelled": pl.read_parquet(dump / f"labelled-{k}.parquet"), "truth": truth,
                        "answered": truth.filter(pl.col("answered")).height})
    real_null = ([pl.read_parquet(p) for p in sorted(dump.glob("real-null-*.parquet"),
                                                     key=lambda p: int(p.stem.rsplit("-", 1)[1]))],
                 float(meta.get("real_null_hours", 0.0)))
    features = tuple(f for f in FEATURES if f not in args.drop)
    floor_q = None if args.floor_quantile.lower() == "none" else float(args.floor_quantile)
    lag_ms = AlignConfig().expected_lag_ms
    # the network's fit depends on its initial weights: each seed is a full run, and the figure is their mean
    runs = []
    for seed in args.seeds:
        folds = {}
        for family in sorted({s["family"] for s in streams}):
            kept, nulls = without_family(streams, real_null[0], meta, family)
            train = [s for s in kept if s["family"] != family]
            folds[family] = fold(train, [s for s in kept if s["family"] == family], features, args.hidden,
                                 args.alpha, floor_q, args.min_precision, args.f1_slack, lag_ms, args.threshold_by,
                                 (nulls, real_null[1]), args.real_negative_weight, args.max_real_null_per_hour, seed,
                                 args.train_min_span_precision, args.members)
            print(f"seed {seed}", family, json.dumps(folds[family]), flush=True)
        runs.append(folds)
        print(f"seed {seed}: mean F1 {np.mean([f['f1'] for f in folds.values()]):.3f}", flush=True)
    per_seed = [round(float(np.mean([f["f1"] for f in folds.values()])), 3) for folds in runs]
    mean_f1 = round(float(np.mean(per_seed)), 3)
    mean_token_f1 = round(float(np.mean([f["token_f1"] for folds in runs for f in folds.values()])), 3)
    # what each fold's threshold accepts on the tuning real null set (every pair false): recall bought with false
    # pairs on real speech shows here
    mean_null = round(float(np.mean([f["real_null_per_hour"] for folds in runs for f in folds.values()])), 2)
    # one network's initial weights move the mean F1 by up to 0.1 here: variants closer than the spread are not
    # told apart by this figure
    spread = round(max(per_seed) - min(per_seed), 3)
    print(f"mean F1 over left-out families: {mean_f1} (per seed {per_seed}, spread {spread}), "
          f"mean response token F1: {mean_token_f1}, "
          f"mean pairs an hour on the tuning real null set at each fold's threshold: {mean_null}")
    total: dict[str, dict[str, int]] = {}
    for f in (f for folds in runs for f in folds.values()):
        for style, counts in f["losses"].items():
            for k, v in counts.items():
                total.setdefault(style, {}).setdefault(k, 0)
                total[style][k] += v
    print(f"messages with a right candidate, by style, over the left-out families (summed over {len(runs)} "
          f"seeds):", json.dumps(total))
    write_result(args.out, {"variant": {"hidden": args.hidden, "alpha": args.alpha, "floor_quantile": floor_q,
                                        "real_negative_weight": args.real_negative_weight,
                                        "max_real_null_per_hour": args.max_real_null_per_hour,
                                        "train_min_span_precision": args.train_min_span_precision,
                                        "features": list(features), "threshold_by": args.threshold_by,
                                        "members": args.members},
                            "streams": meta["streams"], "seeds": args.seeds, "per_seed_f1": per_seed,
                            "seed_spread_f1": spread,
                            "folds": {str(seed): folds for seed, folds in zip(args.seeds, runs)}, "mean_f1": mean_f1,
                            "mean_token_f1": mean_token_f1, "mean_real_null_per_hour": mean_null,
                            "losses": total})


if __name__ == "__main__":
    main()
