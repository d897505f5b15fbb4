"""`curate_video` (one video's accepted pairs → a curated snapshot) and `build_corpus` (every video's snapshot →
one cross-video snapshot). Pure domain code: typed tables in, typed tables out.

Stages of `curate_video`, in order (each rejected row keeps the name of the stage and a reason):
1. filters (`filters.DEFAULT_FILTERS`, first reason wins), on the raw text;
2. PII scrubbing of prompt and response (every row, so the rejects hold no PII either);
3. exact then near-duplicate removal among the rows kept, the best-scored of each cluster kept
   (`duplicate` / `near_duplicate`, reason `duplicate_of:<sample_id>` / `near_duplicate_of:<sample_id>`);
4. split by time blocks, then leakage removal (`leakage`, reason `leak_duplicate_of:<sample_id>` /
   `leak_near_duplicate_of:<sample_id>`);
5. `messages` from the persona template, `snapshot_id` = content hash of the samples.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from multimodal_pipeline.contracts import AlignedPair, ChatEvent, CuratedSample, SpeechSegment, polars_schema, validate
from multimodal_pipeline.contracts.curate_config import SPLITS, CurateConfig
from multimodal_pipeline.curate.dedup import EXACT, find_duplicates
from multimodal_pipeline.curate.filters import (
    DEFAULT_FILTERS,
    EVENT_COLUMNS,
    FILTER_NAMES,
    FilterContext,
    apply_filters,
)
from multimodal_pipeline.curate.splits import assign_blocks, block_expr, leaks, memorable_responses
from multimodal_pipeline.curate.template import PersonaTemplate, load_template
from multimodal_pipeline.curate.text import STOPWORDS, scrub_frame, scrub_names
from multimodal_pipeline.names import names_pattern, spoken_forms
from multimodal_pipeline.storage.hashing import config_hash, sha256_bytes

REJECT_SCHEMA = pl.Schema({"video_id": pl.String, "pair_id": pl.String, "event_id": pl.String, "prompt": pl.String,
                           "response": pl.String, "filter": pl.String, "reason": pl.String})
#: stages after the filters, in the order they run
LATER_STAGES: tuple[str, ...] = ("duplicate", "near_duplicate", "leakage")


@dataclass
class CurationResult:
    """`samples`: the CuratedSample table; `rejects`: every input row not kept, with `filter` and `reason`;
    `stats`: plain JSON (counts per filter, PII counts, split sizes, snapshot_id, template, config hash)."""

    samples: pl.DataFrame
    rejects: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def snapshot_id(self) -> str:
        return self.stats["snapshot_id"]


# ------------------------------------------------------------------------------------------------------------------
# helpers


def sample_ids(df: pl.DataFrame) -> pl.Series:
    """Content-addressed sample IDs: sha256(video_id, pair_id, prompt, response)[:16]."""
    rows = df.select("video_id", "pair_id", "prompt", "response").rows()
    return pl.Series("sample_id", [sha256_bytes("\x1f".join(r).encode())[:16] for r in rows], dtype=pl.String)


def snapshot_id_of(samples: pl.DataFrame) -> str:
    """Content hash of a samples table: sha256 over the canonical JSON of every contract column but
    `snapshot_id`, rows in sample_id order. Independent of row order; equal tables give equal IDs."""
    cols = [c for c in polars_schema(CuratedSample) if c != "snapshot_id"]
    h = hashlib.sha256()
    for row in samples.select(cols).sort("sample_id").iter_rows(named=True):
        h.update(json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        h.update(b"\n")
    return h.hexdigest()


def split_manifest(samples: pl.DataFrame) -> dict[str, list[str]]:
    """The sorted sample IDs of each split (its canonical JSON's sha256 is the split manifest hash)."""
    return {s: sorted(samples.filter(pl.col("split") == s)["sample_id"].to_list()) for s in SPLITS}


def _rejects(df: pl.DataFrame, filter_name: str | pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    fexpr = pl.lit(filter_name) if isinstance(filter_name, str) else filter_name
    return df.select(pl.col("video_id"), pl.col("pair_id"), pl.col("event_id"), pl.col("prompt"),
                     pl.col("response"), fexpr.cast(pl.String).alias("filter"),
                     reason.cast(pl.String).alias("reason")).cast(dict(REJECT_SCHEMA))


def _dedup(df: pl.DataFrame, config: CurateConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, rejects) after exact + near-duplicate removal; best score first, then sample_id."""
    if df.height == 0:
        return df, pl.DataFrame(schema=REJECT_SCHEMA)
    text = pl.col("prompt") if config.dedup_on == "prompt" else pl.concat_str("prompt", "response", separator="\n")
    ranked = df.sort(["score", "sample_id"], descending=[True, False])
    res = find_duplicates(ranked.select(text).to_series(), config.minhash)
    of = ranked["sample_id"].gather(np.maximum(res.dup_of, 0))
    ranked = ranked.with_columns(_kind=pl.Series(res.kind), _of=of)
    rej = ranked.filter(pl.col("_kind") != 0)
    rejects = _rejects(rej, pl.when(pl.col("_kind") == EXACT).then(pl.lit("duplicate")).otherwise(
        pl.lit("near_duplicate")), pl.when(pl.col("_kind") == EXACT).then(pl.format("duplicate_of:{}", "_of"))
        .otherwise(pl.format("near_duplicate_of:{}", "_of")))
    return ranked.filter(pl.col("_kind") == 0).drop("_kind", "_of"), rejects


def chatter_names_pattern(chat_events: pl.DataFrame | None, responses: pl.Series) -> str | None:
    """The pattern of every chatter name of the video in the forms a streamer says it (`names.spoken_forms`;
    run-together handles split into words the responses use)."""
    if chat_events is None or chat_events.height == 0:
        return None
    vocabulary = set(responses.fill_null("").str.to_lowercase().str.extract_all(r"[a-z]+").explode().drop_nulls()
                     .unique().to_list())
    authors = chat_events["author"].drop_nulls().unique().to_list()
    return names_pattern(spoken_forms(authors, vocabulary, STOPWORDS["en"]))


def _drop_leaks(df: pl.DataFrame, config: CurateConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Samples whose prompt, or whose response (of `response_leak_min_words` words and more), equals or nearly
    duplicates one in a higher split."""
    rejects = []
    for column, label in (("prompt", ""), ("response", "response_")):
        work = df if column == "prompt" else memorable_responses(df, config.response_leak_min_words)
        found = leaks(work, config.minhash, column) if work.height else pl.DataFrame()
        if found.height == 0:
            continue
        j = df.join(found, on="sample_id", how="inner")
        rejects.append(_rejects(j, "leakage", pl.when(pl.col("kind") == "exact")
                                .then(pl.format(f"leak_duplicate_{label}of:{{}}", "leak_of"))
                                .otherwise(pl.format(f"leak_near_duplicate_{label}of:{{}}", "leak_of"))))
        df = df.filter(~pl.col("sample_id").is_in(found["sample_id"].implode()))
    return df, pl.concat(rejects) if rejects else pl.DataFrame(schema=REJECT_SCHEMA)


def _finish(df: pl.DataFrame, template: PersonaTemplate) -> pl.DataFrame:
    """The CuratedSample table (snapshot_id filled in), rows in (video_id, response_start_ms, sample_id) order."""
    out = df.with_columns(template.messages_expr(), template_sha256=pl.lit(template.sha256),
                          snapshot_id=pl.lit(""), score=pl.col("score").cast(pl.Float64))
    schema = polars_schema(CuratedSample)
    out = out.select([pl.col(c).cast(schema[c]) for c in schema]).sort(["video_id", "response_start_ms",
                                                                           "sample_id"])
    sid = snapshot_id_of(out)
    return validate(out.with_columns(snapshot_id=pl.lit(sid)), CuratedSample, "curated_snapshot")


def _filter_counts(counts: dict[str, int]) -> dict[str, int]:
    return {name: int(counts.get(name, 0)) for name in (*FILTER_NAMES, *LATER_STAGES)}


def _split_sizes(samples: pl.DataFrame) -> dict[str, int]:
    return {s: int(samples.filter(pl.col("split") == s).height) for s in SPLITS}


def _template_stats(t: PersonaTemplate) -> dict[str, str]:
    return {"name": t.name, "sha256": t.sha256, "text": t.text}


# ------------------------------------------------------------------------------------------------------------------


def curate_video(pairs: pl.DataFrame, chat_events: pl.DataFrame | None, speech_segments: pl.DataFrame | None,
                 video_id: str, config: CurateConfig | None = None) -> CurationResult:
    """The curated snapshot of one video from its aligned pairs (only `accepted` rows are curated), its chat
    events (for the chat-aware filters; None skips them) and its speech segments (ASR confidence; None skips)."""
    config = config or CurateConfig()
    template = load_template(config.template)
    pairs = validate(pairs, AlignedPair, "aligned_pairs")
    other = pairs.filter(pl.col("video_id") != video_id)
    if other.height:
        raise ValueError(f"aligned_pairs: row of video {other['video_id'][0]!r} given to curate {video_id!r}")
    accepted = pairs.filter(pl.col("accepted"))
    df = accepted.select(list(polars_schema(AlignedPair)))
    if chat_events is not None:
        chat_events = validate(chat_events, ChatEvent, "chat_events")
        cols = [c for c in EVENT_COLUMNS if c not in df.columns]  # the pair's own `author` wins
        ev = chat_events.select("event_id", *cols).unique("event_id", keep="first", maintain_order=True)
        df = df.join(ev, on="event_id", how="left", maintain_order="left")
    if speech_segments is not None:
        speech_segments = validate(speech_segments, SpeechSegment, "speech_segments")
    df = df.with_row_index("_row")

    # 1. filters
    ctx = FilterContext(config=config, chat_events=chat_events, speech_segments=speech_segments)
    df, counts = apply_filters(df, ctx, DEFAULT_FILTERS)

    # 2. PII: rows kept by the filters (counted) and rejected rows (not counted)
    author_col = "author" if config.author_name_policy == "placeholder" and "author" in df.columns else None
    kw = dict(all_urls=config.scrub_all_urls, author_col=author_col, author_min_chars=config.author_name_min_chars)
    kept, pii = scrub_frame(df.filter(pl.col("reason").is_null()), ["prompt", "response"], **kw)
    rejected, _ = scrub_frame(df.filter(pl.col("reason").is_not_null()), ["prompt", "response"], **kw)
    # every chatter's name as the streamer says it (the response is speech: "thanks Pixel Bean")
    scrub = config.scrub_spoken_names and config.author_name_policy == "placeholder"
    pattern = chatter_names_pattern(chat_events, df["response"]) if scrub else None
    kept, named = scrub_names(kept, ["prompt", "response"], pattern)
    kept = kept.with_columns(named)
    pii["spoken_name"] = int(named.sum())
    rejected, _ = scrub_names(rejected, ["prompt", "response"], pattern)
    rejects = [_rejects(rejected.sort("_row"), pl.col("filter"), pl.col("reason"))]
    kept = kept.with_columns(sample_ids(kept))

    # 3. exact + near duplicates
    kept, dup_rejects = _dedup(kept, config)
    rejects.append(dup_rejects)

    # 4. splits by time blocks of the video (blocks of every accepted pair, so filters never move a block)
    blocks = accepted.select(block_expr(config.split_block_ms))["block"].unique().to_list()
    block_split = assign_blocks(video_id, blocks, config)
    mapping = pl.DataFrame({"block": list(block_split), "split": list(block_split.values())},
                           schema={"block": pl.Int64, "split": pl.String})
    kept = kept.with_columns(block_expr(config.split_block_ms)).join(mapping, on="block", how="left",
                                                                     maintain_order="left")
    kept, leak_rejects = _drop_leaks(kept, config)
    rejects.append(leak_rejects)

    # 5. messages, snapshot id
    samples = _finish(kept, template)
    rejects_df = pl.concat(rejects)
    for stage in LATER_STAGES:
        counts[stage] = int(rejects_df.filter(pl.col("filter") == stage).height)
    split_blocks = {s: sorted(b for b, sp in block_split.items() if sp == s) for s in SPLITS}
    stats = {
        "video_id": video_id,
        "snapshot_id": samples["snapshot_id"][0] if samples.height else snapshot_id_of(samples),
        "input_pairs": int(pairs.height),
        "accepted_pairs": int(accepted.height),
        "samples": int(samples.height),
        "rejected": int(rejects_df.height),
        "reject_rate": round(rejects_df.height / accepted.height, 6) if accepted.height else 0.0,
        "filters": _filter_counts(counts),
        "top_reasons": _top_reasons(rejects_df),
        "pii": pii,
        "splits": _split_sizes(samples),
        "split_blocks": {s: len(v) for s, v in split_blocks.items()},
        "split_block_ms": config.split_block_ms,
        "template": _template_stats(template),
        "config_hash": config_hash(config),
    }
    return CurationResult(samples=samples, rejects=rejects_df, stats=stats)


def _top_reasons(rejects: pl.DataFrame, k: int = 10) -> dict[str, int]:
    if rejects.height == 0:
        return {}
    # group the `..._of:<id>` reasons by their prefix
    key = pl.col("reason").str.replace(r"_of:.*$", "_of").str.replace(r":\d+(_authors|x)$", "")
    top = rejects.group_by(key.alias("r")).agg(n=pl.len()).sort(["n", "r"], descending=[True, False]).head(k)
    return {r: int(n) for r, n in top.iter_rows()}


def build_corpus(snapshots: dict[str, pl.DataFrame], config: CurateConfig | None = None) -> CurationResult:
    """One cross-video snapshot from per-video snapshots: their union, deduplicated across videos (exact + near,
    best-scored kept), leakage-free across videos (a prompt held out in one video never has a near-duplicate in
    a lower split of another), `messages` rebuilt with the configured template, snapshot ID recomputed.
    Every video keeps its own split assignment (its time blocks)."""
    config = config or CurateConfig()
    template = load_template(config.template)
    frames = []
    for vid, df in sorted(snapshots.items()):
        df = validate(df, CuratedSample, f"curated_snapshot[{vid}]")
        frames.append(df.select(list(polars_schema(CuratedSample))))
    schema = polars_schema(CuratedSample)
    union = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    dup_ids = union.group_by("sample_id").agg(pl.len()).filter(pl.col("len") > 1)
    if dup_ids.height:
        raise ValueError(f"curated snapshots share sample_id {dup_ids['sample_id'][0]!r}: a video given twice?")
    work = union.drop("messages", "snapshot_id", "template_sha256")
    kept, dup_rejects = _dedup(work, config)
    kept, leak_rejects = _drop_leaks(kept, config)
    samples = _finish(kept, template)
    rejects_df = pl.concat([dup_rejects, leak_rejects])
    counts = {stage: int(rejects_df.filter(pl.col("filter") == stage).height) for stage in LATER_STAGES}
    per_video = {
        vid: {"input": int(union.filter(pl.col("video_id") == vid).height),
              "samples": int(samples.filter(pl.col("video_id") == vid).height),
              "snapshot_id": (snapshots[vid]["snapshot_id"][0] if snapshots[vid].height else None)}
        for vid in sorted(snapshots)
    }
    stats = {
        "video_id": None,
        "videos": sorted(snapshots),
        "snapshot_id": samples["snapshot_id"][0] if samples.height else snapshot_id_of(samples),
        "input_samples": int(union.height),
        "samples": int(samples.height),
        "rejected": int(rejects_df.height),
        "reject_rate": round(rejects_df.height / union.height, 6) if union.height else 0.0,
        "filters": counts,
        "top_reasons": _top_reasons(rejects_df),
        "splits": _split_sizes(samples),
        "per_video": per_video,
        "template": _template_stats(template),
        "config_hash": config_hash(config),
    }
    return CurationResult(samples=samples, rejects=rejects_df, stats=stats)
