"""The fitted candidate scorer: a small neural network over answer features, stored as a versioned JSON file.

`score` is the model's probability that a candidate is the message's answer; the acceptance threshold is stored
with the model (chosen on the tuning families for precision, see `benchmarks/fit_scorer.py`). The file's sha256
names the model in the stage key and the asset metadata. Inference is two matrix products in numpy (no scikit-learn
at run time); fitting uses scikit-learn's `MLPClassifier`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

BUNDLED = Path(__file__).parent / "models" / "scorer.json"

#: model inputs, all computed in `core.py` from the candidate table
FEATURES: tuple[str, ...] = (
    "lead_read", "lead_named", "author_named", "answer_overlap", "answer_similarity", "is_question", "lag_s",
    "lag_late_s", "log_answer_words", "chat_density", "has_lead", "first_candidate", "question_similarity",
    "read_x_similarity", "named_x_similarity", "lead_x_short", "similarity_margin", "sentence_margin",
    "signoff_named", "nonanswer_similarity",
)


def feature_frame(c: pl.DataFrame, expected_lag_ms: int) -> pl.DataFrame:
    """The model's inputs from the candidate table's columns (nulls as 0)."""
    lag = pl.col("lag_ms").clip(lower_bound=0).cast(pl.Float64) / 1000
    return c.select(
        lead_read=pl.col("lead_read"), lead_named=pl.col("lead_named").cast(pl.Float64),
        author_named=pl.col("author_named").cast(pl.Float64), answer_overlap=pl.col("answer_overlap"),
        answer_similarity=pl.col("answer_similarity"), is_question=pl.col("is_question").cast(pl.Float64),
        lag_s=lag, lag_late_s=(lag - expected_lag_ms / 1000).clip(lower_bound=0),
        log_answer_words=pl.col("n_answer_words").cast(pl.Float64).log1p(),
        chat_density=pl.col("chat_density").log1p(), has_lead=pl.col("lead").is_not_null().cast(pl.Float64),
        first_candidate=pl.col("first_candidate").cast(pl.Float64),
        question_similarity=pl.col("answer_similarity") * pl.col("is_question").cast(pl.Float64),
        # a read-aloud or a name alone never makes an answer: what follows it must answer
        read_x_similarity=pl.col("lead_read") * pl.col("answer_similarity"),
        named_x_similarity=pl.col("lead_named").cast(pl.Float64) * pl.col("answer_similarity"),
        lead_x_short=pl.col("lead").is_not_null().cast(pl.Float64) * (pl.col("n_answer_words") <= 2).cast(pl.Float64),
        similarity_margin=pl.col("similarity_margin"), sentence_margin=pl.col("sentence_margin"),
        signoff_named=pl.col("signoff_named").cast(pl.Float64),
        # how much the answer's start sounds like the non-answers of the tuning streams ("next question, please")
        nonanswer_similarity=pl.col("nonanswer_similarity") if "nonanswer_similarity" in c.columns else pl.lit(0.0),
    ).select([pl.col(f).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for f in FEATURES])


@dataclass(frozen=True)
class Continuation:
    """Whether the next sentence still belongs to the answer: a logistic regression over its embedding similarity to
    the message, to the answer's first sentence and to the sentence before it (fitted on the tuning families)."""

    coef: tuple[float, float, float]
    intercept: float
    threshold: float

    def keeps(self, to_message: float, to_first: float, to_previous: float) -> bool:
        z = self.coef[0] * to_message + self.coef[1] * to_first + self.coef[2] * to_previous + self.intercept
        return 1.0 / (1.0 + np.exp(-z)) >= self.threshold

    def to_dict(self) -> dict:
        return {"features": ["similarity_to_message", "similarity_to_first", "similarity_to_previous"],
                "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold}


def fit_continuation(x: np.ndarray, y: np.ndarray, threshold: float = 0.4) -> Continuation:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(x, y)
    return Continuation(tuple(float(c) for c in model.coef_[0]), float(model.intercept_[0]), threshold)


@dataclass(frozen=True)
class Scorer:
    """A small neural network (one hidden ReLU layer, a logistic output; no hidden layer is a logistic regression)
    over standardized features."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]  # (weights, bias) per layer
    threshold: float
    sha256: str
    continuation: Continuation | None = None
    meta: dict = field(default_factory=dict)
    low: np.ndarray | None = None  # the training range of each feature: inputs are clipped to it, so that an
    high: np.ndarray | None = None  # answer far longer than any seen in training is not extrapolated upon
    nonanswer: np.ndarray | None = None  # (1, dim): the unit direction of spoken non-answers in embedding space

    def predict(self, x: pl.DataFrame) -> np.ndarray:
        """Probabilities for the rows of a `feature_frame`."""
        if x.height == 0:
            return np.zeros(0)
        m = x.select(list(self.features)).to_numpy().astype(np.float64)
        if self.low is not None and self.high is not None:
            m = np.clip(m, self.low, self.high)
        h = (m - self.mean) / self.scale
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return 1.0 / (1.0 + np.exp(-h[:, 0]))

    def to_json(self) -> str:
        doc = {"kind": "mlp", "features": list(self.features), "mean": self.mean.tolist(),
               "scale": self.scale.tolist(), "low": None if self.low is None else self.low.tolist(),
               "high": None if self.high is None else self.high.tolist(),
               "layers": [{"weights": w.tolist(), "bias": b.tolist()} for w, b in self.layers],
               "threshold": self.threshold,
               "continuation": self.continuation.to_dict() if self.continuation else None,
               "nonanswer_direction": None if self.nonanswer is None else self.nonanswer[0].tolist(), **self.meta}
        return json.dumps(doc) + "\n"


@functools.lru_cache(maxsize=4)
def load_scorer(path: str | None = None) -> Scorer:
    """The scorer stored at `path` (the bundled one by default)."""
    p = Path(path) if path else BUNDLED
    if not p.exists():
        raise FileNotFoundError(f"{p}: no fitted alignment scorer (run python -m benchmarks.fit_scorer)")
    raw = p.read_bytes()
    doc = json.loads(raw)
    missing = [f for f in doc["features"] if f not in FEATURES]
    if missing or doc.get("kind") != "mlp":
        raise ValueError(f"{p}: not a scorer of this version (kind {doc.get('kind')!r}, unknown features {missing})")
    meta = {k: v for k, v in doc.items()
            if k not in ("kind", "features", "mean", "scale", "layers", "threshold", "continuation", "low", "high",
                         "nonanswer_direction")}
    cont = doc.get("continuation")
    continuation = (Continuation(tuple(cont["coef"]), float(cont["intercept"]), float(cont["threshold"]))
                    if cont else None)
    layers = tuple((np.asarray(layer["weights"], dtype=np.float64), np.asarray(layer["bias"], dtype=np.float64))
                   for layer in doc["layers"])
    bounds = [np.asarray(doc[k], dtype=np.float64) if doc.get(k) is not None else None for k in ("low", "high")]
    direction = doc.get("nonanswer_direction")
    nonanswer = None if direction is None else np.asarray([direction], dtype=np.float32)
    return Scorer(tuple(doc["features"]), np.asarray(doc["mean"]), np.asarray(doc["scale"]), layers,
                  float(doc["threshold"]), hashlib.sha256(raw).hexdigest(), continuation, meta, *bounds, nonanswer)


def fit_scorer(x: pl.DataFrame, y: np.ndarray, threshold: float, meta: dict, continuation: Continuation | None,
               hidden: int = 16, alpha: float = 1e-3, seed: int = 0,
               features: tuple[str, ...] = FEATURES, sample_weight: np.ndarray | None = None,
               nonanswer: np.ndarray | None = None) -> Scorer:
    """scikit-learn's `MLPClassifier` (log-loss, so its probabilities stay calibrated) on standardized features
    (`features`: a subset of FEATURES; all by default), each row weighted by `sample_weight` (all 1 by default)."""
    from sklearn.neural_network import MLPClassifier

    m = x.select(list(features)).to_numpy().astype(np.float64)
    low, high = np.percentile(m, 1, axis=0), np.percentile(m, 99, axis=0)
    m = np.clip(m, low, high)
    mean, scale = m.mean(axis=0), m.std(axis=0)
    scale[scale == 0] = 1.0
    model = MLPClassifier(hidden_layer_sizes=(hidden,) if hidden else (), alpha=alpha, max_iter=3000,
                          random_state=seed, early_stopping=False).fit((m - mean) / scale, y,
                                                                       sample_weight=sample_weight)
    layers = tuple((w, b) for w, b in zip(model.coefs_, model.intercepts_))
    return Scorer(tuple(features), mean, scale, layers, threshold, "", continuation, meta, low, high, nonanswer)
