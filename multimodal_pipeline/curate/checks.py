"""Pure check functions behind the `curated_snapshot` / `corpus_snapshot` asset checks (blocking: they guard
training). Each returns `(passed, metadata)` with plain JSON metadata; the Dagster layer wraps them in
`AssetCheckResult`s.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from multimodal_pipeline.contracts import ContractError, CuratedSample, validate
from multimodal_pipeline.contracts.curate_config import SPLITS, CurateConfig, MinHashParams
from multimodal_pipeline.curate.dedup import near_matches, signatures
from multimodal_pipeline.curate.splits import memorable_responses
from multimodal_pipeline.curate.text import PII_PATTERNS, normalize

Result = tuple[bool, dict[str, Any]]


def check_schema(samples: pl.DataFrame, source: str = "curated_snapshot") -> Result:
    """The table holds the CuratedSample contract, one snapshot ID, unique sample IDs."""
    try:
        validate(samples, CuratedSample, source)
    except ContractError as exc:
        return False, {"error": str(exc), "field": exc.field, "row": exc.row, "rows": samples.height}
    ids = samples["snapshot_id"].unique().to_list()
    dup = samples.height - samples["sample_id"].n_unique()
    return len(ids) <= 1 and dup == 0, {"rows": samples.height, "snapshot_ids": ids[:3], "duplicate_sample_ids": dup}


def check_no_shared_prompt(samples: pl.DataFrame, examples: int = 5) -> Result:
    """No (normalized) prompt appears in more than one split."""
    df = samples.select("sample_id", "split", t=normalize(samples["prompt"]))
    shared = (df.group_by("t").agg(splits=pl.col("split").unique().sort(), ids=pl.col("sample_id").sort())
              .filter(pl.col("splits").list.len() > 1).sort("t"))
    meta = {"samples": samples.height, "shared_prompts": shared.height,
            "examples": [{"prompt": t, "splits": s, "sample_ids": i[:4]}
                         for t, s, i in shared.head(examples).iter_rows()]}
    return shared.height == 0, meta


def check_no_near_duplicate_across_splits(samples: pl.DataFrame, params: MinHashParams | None = None,
                                          examples: int = 5, response_min_words: int = 4) -> Result:
    """No prompt of one split is a near-duplicate (MinHash LSH, estimated Jaccard >= threshold) of a prompt of
    another split, and no response of `response_min_words` words or more of a response of another split."""
    params = params or MinHashParams()
    ok_p, meta_p = _near_duplicates_across_splits(samples, "prompt", params, examples)
    long = memorable_responses(samples, response_min_words)
    ok_r, meta_r = _near_duplicates_across_splits(long, "response", params, examples)
    meta = dict(meta_p, samples=samples.height, response_near_duplicates=meta_r["near_duplicates"],
                response_by_split_pair=meta_r["by_split_pair"], response_examples=meta_r["examples"])
    return ok_p and ok_r, meta


def _near_duplicates_across_splits(samples: pl.DataFrame, column: str, params: MinHashParams,
                                   examples: int) -> Result:
    norm = samples.select("sample_id", "split", t=normalize(samples[column]))
    pairs: dict[str, int] = {}
    found: list[dict[str, Any]] = []
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            qa, rb = norm.filter(pl.col("split") == a), norm.filter(pl.col("split") == b)
            if qa.height == 0 or rb.height == 0:
                pairs[f"{a}-{b}"] = 0
                continue
            match, sim = near_matches(signatures(qa["t"], params), signatures(rb["t"], params), params,
                                      query_active=(qa["t"] != "").to_numpy(), ref_active=(rb["t"] != "").to_numpy())
            hits = [(k, int(m), float(s)) for k, (m, s) in enumerate(zip(match, sim, strict=True)) if m >= 0]
            pairs[f"{a}-{b}"] = len(hits)
            for k, m, s in hits[:examples]:
                found.append({"splits": [a, b], "sample_ids": [qa["sample_id"][k], rb["sample_id"][m]],
                              "prompts": [qa["t"][k], rb["t"][m]], "similarity": round(s, 3)})
    total = sum(pairs.values())
    return total == 0, {"samples": samples.height, "near_duplicates": total, "by_split_pair": pairs,
                        "threshold": params.threshold, "num_perm": params.num_perm, "examples": found[:examples]}


def check_no_pii(samples: pl.DataFrame, examples: int = 5, names: str | None = None) -> Result:
    """No e-mail, phone number, token-carrying URL or `@handle` left in prompts and responses, and with `names`
    (the pattern of the video's chatter names as they are spoken) no chatter's name."""
    counts: dict[str, int] = {}
    found: list[dict[str, Any]] = []
    patterns = dict(PII_PATTERNS, **({"spoken_name": names} if names else {}))
    for kind, pattern in patterns.items():
        n = 0
        for col in ("prompt", "response"):
            hits = samples.filter(pl.col(col).str.contains(pattern))
            n += int(samples.select(pl.col(col).str.count_matches(pattern).sum()).item() or 0)
            for sid, text in hits.select("sample_id", col).head(examples).iter_rows():
                found.append({"kind": kind, "column": col, "sample_id": sid, "match": _first(text, pattern)})
        counts[kind] = n
    total = sum(counts.values())
    return total == 0, {"samples": samples.height, "matches": total, "by_kind": counts, "examples": found[:examples]}


def _first(text: str, pattern: str) -> str:
    got = pl.Series([text]).str.extract(f"({pattern})", 1)[0]
    return (got or "")[:80]


def check_min_samples_per_split(samples: pl.DataFrame, minimum: dict[str, int] | None = None) -> Result:
    """Every split holds at least its minimum number of samples."""
    minimum = minimum or CurateConfig().min_samples_per_split.as_dict()
    sizes = {s: int(samples.filter(pl.col("split") == s).height) for s in SPLITS}
    short = {s: sizes[s] for s in SPLITS if sizes[s] < minimum.get(s, 0)}
    meta = {"sizes": sizes, "minimum": {s: int(minimum.get(s, 0)) for s in SPLITS}, "short": short}
    if short:
        meta["reason"] = (f"too few samples in {', '.join(f'{s} ({n} of {minimum[s]})' for s, n in short.items())}; "
                          f"all splits: {sizes}. Splits take whole time blocks (curate.split_block_ms), so a short "
                          "video, or one with few answered messages, fills fewer splits")
    return not short, meta


def check_reject_rate(samples: pl.DataFrame, rejects: pl.DataFrame, ceiling: float | None = None) -> Result:
    """rejected / (samples + rejected) stays at or below `ceiling`; per-filter counts as metadata."""
    ceiling = CurateConfig().max_reject_rate if ceiling is None else ceiling
    total = samples.height + rejects.height
    rate = rejects.height / total if total else 0.0
    per_filter = ({f: int(n) for f, n in rejects.group_by("filter").agg(pl.len()).sort("filter").iter_rows()}
                  if rejects.height else {})
    return rate <= ceiling, {"input": total, "samples": samples.height, "rejected": rejects.height,
                             "reject_rate": round(rate, 6), "ceiling": ceiling, "per_filter": per_filter}
