"""The `curated_snapshot` and `corpus_snapshot` tiers: chat-aware filters, PII scrubbing, exact and near-duplicate
removal, leakage-safe splits and the training export (pure domain code: no dagster import).

Public API:
- `curate_video(pairs, chat_events, speech_segments, video_id, config=None) -> CurationResult`
- `build_corpus(snapshots: dict[video_id, DataFrame], config=None) -> CurationResult`
- `export_snapshot(result, out_dir, sources) -> dict` (JSONL per split, DatasetDict, split manifest, card)
- `checks`: pure asset-check functions returning `(passed, metadata)`
- `find_duplicates`, `load_template`, `split_manifest`, `snapshot_id_of`, the filters, `CurateConfig`
"""

from multimodal_pipeline.contracts.curate_config import CurateConfig, MinHashParams, MinPerSplit, SplitFractions
from multimodal_pipeline.curate import checks
from multimodal_pipeline.curate.dedup import DedupResult, find_duplicates
from multimodal_pipeline.curate.export import export_snapshot
from multimodal_pipeline.curate.filters import (
    DEFAULT_FILTERS,
    FILTER_NAMES,
    AsrConfidenceFilter,
    BotFilter,
    DeletedFilter,
    EmoteFilter,
    EventKindFilter,
    Filter,
    FilterContext,
    LanguageFilter,
    LengthFilter,
    SpamFilter,
    UrlSpamFilter,
    apply_filters,
)
from multimodal_pipeline.curate.pipeline import (
    REJECT_SCHEMA,
    CurationResult,
    build_corpus,
    curate_video,
    snapshot_id_of,
    split_manifest,
)
from multimodal_pipeline.curate.template import PersonaTemplate, load_template

__all__ = [
    "DEFAULT_FILTERS", "FILTER_NAMES", "REJECT_SCHEMA", "AsrConfidenceFilter", "BotFilter", "CurateConfig",
    "CurationResult", "DedupResult", "DeletedFilter", "EmoteFilter", "EventKindFilter", "Filter", "FilterContext",
    "LanguageFilter", "LengthFilter", "MinHashParams", "MinPerSplit", "PersonaTemplate", "SpamFilter",
    "SplitFractions", "UrlSpamFilter", "apply_filters", "build_corpus", "checks", "curate_video", "export_snapshot",
    "find_duplicates", "load_template", "snapshot_id_of", "split_manifest",
]
