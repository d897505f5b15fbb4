"""Code versions of the tiers (the tier's code version and the hash of the config sections it reads) and the corpus
chain's automation.

A code change (a bumped version below or in the domain) or a `pipeline.yaml` change that touches a tier's sections
gives that tier a new code version when the code location loads, so the UI marks its materialized partitions (and,
through data versions, what was built from them) unsynced; tiers whose sections did not change keep their version
and are not recomputed.
"""

import dagster as dg

from multimodal_pipeline.align.core import CODE_VERSION as ALIGN_CODE
from multimodal_pipeline.asr.transcription import CODE_VERSION as ASR_CODE
from multimodal_pipeline.contracts.config import PipelineConfig
from multimodal_pipeline.media.audio import CODE_VERSION as AUDIO_CODE
from multimodal_pipeline.speaker import CODE_VERSION as SPEAKER_CODE
from multimodal_pipeline.storage import config_hash
from multimodal_pipeline.train.trainer import CODE_VERSION as TRAIN_CODE

#: asset -> (its code's version, the config sections it reads)
TIERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "raw_video": ("raw-2", ("ingest",)),
    "audio": (AUDIO_CODE, ("audio",)),
    "speech_segments": (f"{ASR_CODE}+{SPEAKER_CODE}", ("asr",)),
    "chat_events": ("chat-2", ("chat",)),
    "aligned_pairs": (ALIGN_CODE, ("align", "curate")),  # curation's prompt filters decide which rows can be prompts
    "curated_snapshot": ("curate-2", ("curate",)),
    "adapter_checkpoint": (TRAIN_CODE, ("train",)),
    "eval_report": ("eval-1", ("eval",)),
    "corpus_snapshot": ("curate-2", ("curate",)),
    "corpus_adapter": (TRAIN_CODE, ("train",)),
    "corpus_eval": ("eval-1", ("eval",)),
}


def code_version(asset: str, config: PipelineConfig) -> str | None:
    if asset not in TIERS:
        return None
    code, sections = TIERS[asset]
    return f"{code}+cfg:{config_hash({s: getattr(config, s) for s in sections})[:12]}"


def tier_config(asset: str, config: PipelineConfig) -> dict:
    """The config sections a tier reads, as plain JSON."""
    return {s: getattr(config, s).model_dump(mode="json") for s in TIERS.get(asset, ((), ()))[1]}


def corpus_automation(schedule: str) -> dict[str, dg.AutomationCondition]:
    """The corpus chain updates itself: the snapshot at the first tick of `schedule` after new videos' snapshots
    landed (a debounce: one rebuild per tick, however many videos arrived), its adapter and evaluation as soon as
    what they read is new. Empty `schedule`: no automation."""
    if not schedule:
        return {}
    ac = dg.AutomationCondition
    # at a tick, when any video's tiers updated since the corpus was last requested or built
    news = ac.any_deps_updated().since(ac.newly_requested() | ac.newly_updated())
    snapshot = (ac.cron_tick_passed(schedule) & news & ~ac.in_progress()).with_label(f"on new videos, at {schedule}")
    return {"corpus_snapshot": snapshot,
            "corpus_adapter": dg.AutomationCondition.eager(), "corpus_eval": dg.AutomationCondition.eager()}


def versioned(assets: list, config: PipelineConfig) -> list:
    """`assets` with each tier's code version set from `config`, and the settings it runs with shown on its page
    (definition metadata `config`)."""
    automation = corpus_automation(config.curate.corpus_schedule)

    def attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        if name not in TIERS:
            return spec
        return spec.replace_attributes(code_version=code_version(name, config),
                                       automation_condition=automation.get(name),
                                       metadata={**spec.metadata, "config": dg.MetadataValue.json(
                                           tier_config(name, config))})

    return list(dg.map_asset_specs(attributes, assets))
