"""The export (JSONL + DatasetDict + manifest + card, atomic, idempotent) in TRL's conversational format, the
cross-video corpus, and the check functions on crafted inputs."""

from __future__ import annotations

import json

import polars as pl
import pytest

from multimodal_pipeline.contracts import CuratedSample, validate
from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate import build_corpus, checks, curate_video, export_snapshot, load_template
from multimodal_pipeline.storage.hashing import canonical_json, sha256_bytes, sha256_file
from multimodal_pipeline_tests.curate.helpers import generated_stream

CFG = CurateConfig(split_block_ms=120_000)


@pytest.fixture(scope="module")
def result():
    p, e, s = generated_stream(150)
    return curate_video(p, e, s, "vid1", CFG)


def test_snapshot_contract_and_template(result):
    validate(result.samples, CuratedSample, "curated_snapshot")
    tmpl = load_template(CFG.template)
    assert result.samples["template_sha256"].unique().to_list() == [tmpl.sha256]
    assert result.stats["template"]["sha256"] == tmpl.sha256
    m = result.samples["messages"][0].to_list()
    assert [x["role"] for x in m] == ["system", "user", "assistant"]
    assert m[0]["content"] == tmpl.system and m[1]["content"] == result.samples["prompt"][0]
    assert result.samples["snapshot_id"].unique().to_list() == [result.snapshot_id]
    assert len(result.snapshot_id) == 64


def test_export_loads_back_in_trl_format(result, tmp_path):
    from datasets import load_from_disk

    sources = [{"video_id": "vid1", "source_uri": "https://example.com/v/1", "sha256": "ab" * 32}]
    info = export_snapshot(result, tmp_path, sources)
    folder = tmp_path / result.snapshot_id
    assert info["created"] and info["path"] == str(folder)
    # split manifest: canonical JSON of the sorted sample IDs per split; its sha256 is the manifest hash
    manifest = json.loads((folder / "split_manifest.json").read_text())
    expected = {s: sorted(result.samples.filter(pl.col("split") == s)["sample_id"].to_list())
                for s in ("train", "val", "test")}
    assert manifest == expected
    assert info["split_manifest_sha256"] == sha256_file(folder / "split_manifest.json") == \
        sha256_bytes(canonical_json(expected).encode())
    # JSONL: one {"messages": [...]} per line
    lines = (folder / "train.jsonl").read_text().splitlines()
    assert len(lines) == result.stats["splits"]["train"]
    row = json.loads(lines[0])
    assert list(row) == ["messages"] and [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    # DatasetDict
    dd = load_from_disk(str(folder / "dataset"))
    assert set(dd) == {"train", "val", "test"}
    assert {s: dd[s].num_rows for s in dd} == result.stats["splits"]
    assert dd["train"].column_names == ["messages"]
    assert dd["train"][0]["messages"] == row["messages"]
    # the card explains the snapshot
    card = (folder / "README.md").read_text()
    for needle in (result.snapshot_id, info["split_manifest_sha256"], result.stats["template"]["sha256"],
                   "https://example.com/v/1", "near_duplicate", load_template(CFG.template).system.splitlines()[0]):
        assert needle in card
    # re-export: a no-op
    again = export_snapshot(result, tmp_path, sources)
    assert not again["created"] and again["files_sha256"] == info["files_sha256"]
    assert [p.name for p in tmp_path.iterdir()] == [result.snapshot_id]


def test_export_is_trl_conversational(result, tmp_path):
    from datasets import load_from_disk
    from trl.data_utils import is_conversational

    export_snapshot(result, tmp_path, [])
    dd = load_from_disk(str(tmp_path / result.snapshot_id / "dataset"))
    assert is_conversational(dd["train"][0])
    assert is_conversational(json.loads((tmp_path / result.snapshot_id / "test.jsonl").read_text().splitlines()[0]))


def test_corpus_dedups_across_videos_and_stays_leakage_free(result):
    p2, e2, s2 = generated_stream(150, seed=5, video_id="vid2")  # the same questions, asked on another stream
    r2 = curate_video(p2, e2, s2, "vid2", CFG)
    corpus = build_corpus({"vid1": result.samples, "vid2": r2.samples}, CFG)
    assert corpus.stats["input_samples"] == result.samples.height + r2.samples.height
    assert corpus.stats["filters"]["duplicate"] + corpus.stats["filters"]["near_duplicate"] > 0
    assert corpus.samples.height + corpus.rejects.height == corpus.stats["input_samples"]
    assert set(corpus.samples["video_id"].unique()) == {"vid1", "vid2"}
    assert corpus.samples["snapshot_id"].unique().to_list() == [corpus.snapshot_id]
    assert corpus.snapshot_id not in (result.snapshot_id, r2.snapshot_id)
    assert checks.check_no_shared_prompt(corpus.samples)[0]
    assert checks.check_no_near_duplicate_across_splits(corpus.samples, CFG.minhash)[0]
    # every reject points at a kept sample
    kept = set(corpus.samples["sample_id"])
    assert all(r.split(":", 1)[1] in kept for r in corpus.rejects["reason"])
    # order of the input dict never matters
    assert build_corpus({"vid2": r2.samples, "vid1": result.samples}, CFG).snapshot_id == corpus.snapshot_id


def test_checks_pass_on_a_clean_snapshot(result):
    assert checks.check_schema(result.samples)[0]
    assert checks.check_no_shared_prompt(result.samples)[0]
    assert checks.check_no_near_duplicate_across_splits(result.samples)[0]
    passed, meta = checks.check_no_pii(result.samples)
    assert passed and meta["matches"] == 0
    passed, meta = checks.check_min_samples_per_split(result.samples, {"train": 10, "val": 1, "test": 1})
    assert passed and meta["sizes"] == result.stats["splits"]
    passed, meta = checks.check_reject_rate(result.samples, result.rejects, 0.5)
    assert passed and sum(meta["per_filter"].values()) == result.rejects.height
    json.dumps(meta)  # plain JSON


def test_checks_fail_on_crafted_inputs(result):
    s = result.samples
    train = s.filter(pl.col("split") == "train")
    test_row = s.filter(pl.col("split") == "test").head(1)
    # the same prompt in train and test
    shared = pl.concat([s, train.head(1).with_columns(split=pl.lit("test"), sample_id=pl.lit("x1"))])
    passed, meta = checks.check_no_shared_prompt(shared)
    assert not passed and meta["shared_prompts"] == 1 and meta["examples"][0]["splits"] == ["test", "train"]
    # a near-duplicate of a test prompt in train
    near = pl.concat([s, test_row.with_columns(split=pl.lit("train"), sample_id=pl.lit("x2"),
                                               prompt=pl.col("prompt") + " chat")])
    passed, meta = checks.check_no_near_duplicate_across_splits(near)
    assert not passed and meta["near_duplicates"] >= 1 and meta["by_split_pair"]["train-test"] >= 1
    # PII left
    leaky = s.with_columns(response=pl.when(pl.col("sample_id") == s["sample_id"][0])
                           .then(pl.lit("write me at a@b.com or @someone")).otherwise(pl.col("response")))
    passed, meta = checks.check_no_pii(leaky)
    assert not passed and meta["by_kind"]["email"] == 1 and meta["by_kind"]["handle"] == 1
    # too few samples
    passed, meta = checks.check_min_samples_per_split(s.filter(pl.col("split") != "val"))
    assert not passed and meta["short"] == {"val": 0}
    # too many rejects
    passed, meta = checks.check_reject_rate(s.head(1), result.rejects, 0.05)
    assert not passed and meta["reject_rate"] > 0.05
    # broken contract
    assert not checks.check_schema(s.drop("messages"))[0]


def test_empty_video_gives_an_empty_snapshot_that_exports(tmp_path):
    from datasets import load_from_disk

    from multimodal_pipeline.contracts import AlignedPair, ChatEvent, empty_frame

    res = curate_video(empty_frame(AlignedPair), empty_frame(ChatEvent), None, "vid0")
    assert res.samples.height == 0 and res.rejects.height == 0 and len(res.snapshot_id) == 64
    info = export_snapshot(res, tmp_path, [])
    dd = load_from_disk(info["dataset_dir"])
    assert {s: dd[s].num_rows for s in dd} == {"train": 0, "val": 0, "test": 0}
    assert not checks.check_min_samples_per_split(res.samples)[0]
