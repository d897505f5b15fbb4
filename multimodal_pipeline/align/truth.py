"""Alignment measured against a generated stream's ground truth, and the naive baseline to compare with.

Besides precision/recall/F1 of the accepted pairs (a pair is right when its message was truly answered and its
response covers at least half of the true *answer*: the reply alone, without the read-aloud question or the name),
each right pair is scored on what a person would see when reading it as training data:

- `token_f1`: SQuAD-style bag-of-words F1 of the response against the true answer's text. A read-aloud lead, the
  chatter's name or monologue after the answer all lower it.
- `span_precision`: the share of the response's duration that lies inside the true answer.
- `names_left`: accepted responses that still say a chatter's name (any viewer of the stream, as the streamer says it).
- `thanks_paired`: accepted pairs whose response is a thank-you for a follow, sub or gift (never an answer).
- per hard case (late, one-word, long, paired, out-of-order answers): recall; dismissed questions: pairs accepted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

from multimodal_pipeline.align.spans import speech_words

STYLES = ("read_aloud", "named", "direct")
TIME_SLACK_MS = 250
CASES = ("late", "yes_no", "long", "pair", "out_of_order")

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = re.compile(r"[^a-z0-9' ]+")


def normalize_tokens(text: str | None) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, split on white space."""
    text = (text or "").lower().replace("’", "'")
    return _ARTICLES.sub(" ", _PUNCT.sub(" ", text)).split()


def token_f1(prediction: str | None, truth: str | None) -> float:
    pred, gold = normalize_tokens(prediction), normalize_tokens(truth)
    common = sum((Counter(pred) & Counter(gold)).values())
    if not pred or not gold or common == 0:
        return float(pred == gold)
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)


def span_precision(start: int, end: int, true_start: int, true_end: int) -> float:
    if end <= start:
        return 0.0
    return max(0, min(end, true_end) - max(start, true_start)) / (end - start)


def names_in(text: str | None, spoken_names: list[str]) -> int:
    """How many of the spoken names occur in `text` as whole words."""
    words = " " + " ".join(normalize_tokens(text)) + " "
    return sum(1 for n in spoken_names if n and f" {' '.join(normalize_tokens(n))} " in words)


def load_truth(path: str | Path, kinds: tuple[str, ...] = ("message", "paid")) -> pl.DataFrame:
    """Ground-truth chat messages that can be prompts (text messages, paid messages; not memberships, which the
    streamer may thank but which carry no text): ts_ms, text, answered, style, case, answer span (read-aloud
    included) and reply span and text (the answer alone)."""
    data = json.loads(Path(path).read_text())
    rows = [{"ts_ms": m["ts_ms"], "text": m["text"], "answered": bool(m.get("answered")), "style": m.get("style"),
             "case": m.get("case"), "answer_start_ms": m.get("answer_start_ms"),
             "answer_end_ms": m.get("answer_end_ms"),
             "reply_start_ms": m.get("reply_start_ms", m.get("answer_start_ms")),
             "reply_end_ms": m.get("reply_end_ms", m.get("answer_end_ms")), "reply_text": m.get("reply_text")}
            for m in data["messages"] if m.get("kind", "message") in kinds]
    return pl.DataFrame(rows, schema={"ts_ms": pl.Int64, "text": pl.String, "answered": pl.Boolean,
                                      "style": pl.String, "case": pl.String, "answer_start_ms": pl.Int64,
                                      "answer_end_ms": pl.Int64, "reply_start_ms": pl.Int64,
                                      "reply_end_ms": pl.Int64, "reply_text": pl.String})


def load_extras(path: str | Path) -> dict:
    """The truth's thank-yous (follows, subs, gifts) and the viewers' spoken names."""
    data = json.loads(Path(path).read_text())
    return {"thanks": data.get("thanks", []), "spoken_names": [v["spoken"] for v in data.get("viewers", [])]}


def naive_pairs(speech: pl.DataFrame, chat: pl.DataFrame, horizon_ms: int = 10_000) -> pl.DataFrame:
    """The naive method: every chat message paired with all the speech that starts in the next 10 s."""
    words = speech_words(speech)
    starts = words["start_ms"].to_numpy()
    ends = words["end_ms"].to_numpy()
    text = words["word"].to_list()
    ts = chat["ts_ms"].to_numpy()
    lo = np.searchsorted(starts, ts, "left")
    hi = np.searchsorted(starts, ts + horizon_ms, "right")
    has = hi > lo
    return pl.DataFrame({
        "event_ts_ms": ts[has], "prompt": np.asarray(chat["text"].to_list(), dtype=object)[has].tolist(),
        "response_start_ms": starts[lo[has]], "response_end_ms": ends[hi[has] - 1],
        "response": [" ".join(text[a:b]) for a, b in zip(lo[has].tolist(), hi[has].tolist())],
    }, schema_overrides={"response": pl.String})


def reply_overlap_ms() -> pl.Expr:
    """How long a labelled pair's response overlaps its true answer (`reply_*`), in ms, with `TIME_SLACK_MS` on each
    side: word times of the ASR and of the synthesizer differ by ~100 ms, and a one-word answer needs that slack."""
    return (pl.min_horizontal(pl.col("response_end_ms") + TIME_SLACK_MS, "reply_end_ms")
            - pl.max_horizontal(pl.col("response_start_ms") - TIME_SLACK_MS, "reply_start_ms")).clip(lower_bound=0)


def label_pairs(pairs: pl.DataFrame, truth: pl.DataFrame, min_overlap: float = 0.5) -> pl.DataFrame:
    """`pairs` (event_ts_ms, prompt, response_start_ms, response_end_ms) joined to the truth with a `correct` flag:
    the message was truly answered and the response covers at least `min_overlap` of the true answer."""
    joined = pairs.join(truth.rename({"ts_ms": "event_ts_ms", "text": "prompt"}), on=["event_ts_ms", "prompt"],
                        how="left")
    return joined.with_columns(
        correct=pl.col("answered").fill_null(False)
        & (reply_overlap_ms() >= min_overlap * (pl.col("reply_end_ms") - pl.col("reply_start_ms")).clip(lower_bound=1))
        .fill_null(False))


def score_pairs(pairs: pl.DataFrame, truth: pl.DataFrame, extras: dict | None = None,
                min_overlap: float = 0.5) -> dict:
    """Precision, recall and F1 of accepted pairs, overall, per answer style and per hard case; response quality
    (token F1, span precision) on the right pairs; names left and thank-yous paired over all accepted pairs."""
    joined = label_pairs(pairs, truth, min_overlap)
    answered = truth.filter(pl.col("answered"))

    def prf(sub_pairs: pl.DataFrame, n_true: int) -> dict:
        tp = int(sub_pairs["correct"].sum())
        p = tp / sub_pairs.height if sub_pairs.height else 0.0
        r = tp / n_true if n_true else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        right = sub_pairs.filter(pl.col("correct"))
        tf1 = [token_f1(a, b) for a, b in zip(right["response"].to_list(), right["reply_text"].to_list())] \
            if "response" in right.columns else []
        sp = [span_precision(*row) for row in right.select("response_start_ms", "response_end_ms",
                                                           "reply_start_ms", "reply_end_ms").iter_rows()]
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "pairs": sub_pairs.height,
                "true_answers": n_true, "correct": tp, "token_f1_sum": round(sum(tf1), 4),
                "span_precision_sum": round(sum(sp), 4)}

    result = {"overall": prf(joined, answered.height)}
    for style in STYLES:
        # per style: precision among pairs whose message has that style (false positives on unanswered messages
        # count only overall, where they belong to no style)
        result[style] = prf(joined.filter(pl.col("style") == style), answered.filter(pl.col("style") == style).height)
    for case in CASES:
        result[f"case:{case}"] = prf(joined.filter(pl.col("case") == case),
                                     answered.filter(pl.col("case") == case).height)
    extras = extras or {}
    names = extras.get("spoken_names", [])
    responses = joined["response"].to_list() if "response" in joined.columns else []
    thanks = extras.get("thanks", [])
    starts, ends = joined["response_start_ms"].to_list(), joined["response_end_ms"].to_list()
    result["names_left"] = sum(1 for r in responses if names_in(r, names))
    result["thanks_paired"] = sum(
        1 for s, e in zip(starts, ends)
        if any(min(e, t["end_ms"]) - max(s, t["start_ms"]) >= 0.5 * (t["end_ms"] - t["start_ms"]) for t in thanks))
    result["thanks_total"] = len(thanks)
    result["dismissed_accepted"] = joined.filter(pl.col("case") == "dismissed").height
    result["dismissed_total"] = truth.filter(pl.col("case") == "dismissed").height
    # a question a guest answered: any pair for it is made from another voice's speech
    result["guest_accepted"] = joined.filter(pl.col("case") == "guest_answer").height
    result["guest_total"] = truth.filter(pl.col("case") == "guest_answer").height
    return result
