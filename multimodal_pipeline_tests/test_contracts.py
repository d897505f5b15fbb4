import polars as pl
import pytest

from multimodal_pipeline.contracts import (
    TIER_RECORDS, ChatEvent, ContractError, SpeechSegment, empty_frame, frame_from_records, polars_schema, validate,
)


def test_all_eight_tiers_have_a_contract_with_ms_times():
    assert set(TIER_RECORDS) == {"raw_video", "audio", "speech_segments", "chat_events", "aligned_pairs",
                                 "curated_snapshot", "adapter_checkpoint", "eval_report"}
    for model in TIER_RECORDS.values():
        schema = polars_schema(model)
        for name, dtype in schema.items():
            if name.endswith("_ms"):
                assert dtype == pl.Int64, f"{model.__name__}.{name} must be integer ms"
        validate(empty_frame(model), model)  # an empty table of the right shape is valid


def _segment(**over):
    row = dict(video_id="v", segment_id="s0", start_ms=0, end_ms=1000, text="hi",
               words=[dict(word="hi", start_ms=0, end_ms=500, prob=0.9)], avg_logprob=-0.2, no_speech_prob=0.01,
               compression_ratio=1.1)
    row.update(over)
    return row


def test_validate_names_file_row_and_field():
    df = frame_from_records(SpeechSegment, [_segment(), _segment(segment_id="s1", start_ms=2000, end_ms=1500)])
    with pytest.raises(ContractError) as err:
        validate(df, SpeechSegment, source="data/x.parquet")
    assert err.value.row == 1 and err.value.field == "end_ms"
    assert "data/x.parquet: row 1, field 'end_ms'" in str(err.value)


def test_validate_reports_missing_column_wrong_dtype_and_nulls():
    df = frame_from_records(SpeechSegment, [_segment()])
    with pytest.raises(ContractError, match="field 'text': missing column"):
        validate(df.drop("text"), SpeechSegment, "f.parquet")
    with pytest.raises(ContractError, match="field 'start_ms': dtype is Float64"):
        validate(df.with_columns(pl.col("start_ms").cast(pl.Float64)), SpeechSegment, "f.parquet")
    with pytest.raises(ContractError, match="row 0, field 'segment_id': null"):
        validate(df.with_columns(pl.lit(None, pl.String).alias("segment_id")), SpeechSegment, "f.parquet")


def test_chat_event_kind_rule_and_extra_columns_kept():
    row = dict(video_id="v", event_id="e", ts_ms=5, author="a", author_id=None, text="x", source="s", kind="message",
               fragments=[dict(type="text", text="x", emote_id=None)], amount=None, deleted=False, raw_ref="f:1")
    df = frame_from_records(ChatEvent, [row]).with_columns(pl.lit(1).alias("extra"))
    assert validate(df, ChatEvent).columns[-1] == "extra"
    with pytest.raises(ContractError, match="field 'kind'"):
        validate(df.with_columns(pl.lit("bogus").alias("kind")), ChatEvent, "chat.json")


def test_package_exports_are_imported_on_first_use_and_a_function_is_not_hidden_by_its_module():
    """`contracts` and `storage` load their submodules on first use: the audio extraction comes without Polars, and
    `validate` stays the function even after its module was loaded for `ContractError`."""
    import subprocess
    import sys

    code = ("import sys; from multimodal_pipeline.media.audio import extract_audio; "
            "from multimodal_pipeline.contracts.config import AudioConfig; assert 'polars' not in sys.modules; "
            "from multimodal_pipeline.contracts import ContractError; from multimodal_pipeline.contracts import "
            "validate; assert callable(validate) and validate.__name__ == 'validate'; "
            "from multimodal_pipeline.storage import StageCache, temporary_path; import multimodal_pipeline.contracts "
            "as c; assert 'ChatEvent' in dir(c)")
    subprocess.run([sys.executable, "-c", code], check=True)
    import multimodal_pipeline.storage as storage

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        storage.nope  # noqa: B018
