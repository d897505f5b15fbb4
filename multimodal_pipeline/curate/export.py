"""Export of a curated snapshot for training: JSONL per split in TRL's conversational format, an HF
`datasets.DatasetDict` saved to disk, the split manifest and a dataset card, under `out_dir/<snapshot_id>/`.

Layout:

    <out_dir>/<snapshot_id>/
      train.jsonl val.jsonl test.jsonl   one {"messages": [{role, content}, ...]} per line
      dataset/                           DatasetDict.save_to_disk (splits train/val/test, column `messages`)
      split_manifest.json                {"test": [...], "train": [...], "val": [...]} sorted sample IDs,
                                         canonical JSON: its sha256 is the split manifest hash
      README.md                          dataset card

Rows of every split are in sample_id order, the order of the manifest. Everything is written in a hidden
temporary folder beside the target and renamed into place: a reader never sees half an export, and exporting a
snapshot that is already there does nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from multimodal_pipeline.contracts.curate_config import SPLITS
from multimodal_pipeline.curate.pipeline import CurationResult, split_manifest
from multimodal_pipeline.storage.atomic import TMP_PREFIX
from multimodal_pipeline.storage.hashing import canonical_json, sha256_file

MANIFEST = "split_manifest.json"
CARD = "README.md"
DATASET_DIR = "dataset"


def _messages_features():
    from datasets import Features, List, Value

    return Features({"messages": List({"role": Value("string"), "content": Value("string")})})


@contextlib.contextmanager
def _quiet_datasets():
    import datasets

    was = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was:
            datasets.enable_progress_bars()


def _write_jsonl(path: Path, messages: list[list[dict[str, str]]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for m in messages:
            f.write(json.dumps({"messages": m}, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")


def _card(result: CurationResult, sources: list[dict[str, Any]], manifest_sha: str) -> str:
    st = result.stats
    tmpl = st.get("template", {})
    sizes = st.get("splits", {})
    lines = [
        "---",
        "task_categories:",
        "- text-generation",
        "tags:",
        "- conversational",
        "- livestream",
        "- multimodal_pipeline",
        "configs:",
        "- config_name: default",
        "  data_files:",
        *[f"  - split: {s}\n    path: {s}.jsonl" for s in SPLITS],
        "---",
        "",
        f"# Curated snapshot `{st['snapshot_id']}`",
        "",
        "Chat message → streamer's spoken reply pairs, curated by `multimodal_pipeline.curate` "
        + (f"from video `{st['video_id']}`." if st.get("video_id") else
           f"from {len(st.get('videos', []))} videos (corpus snapshot)."),
        "Each row is a conversation in TRL's conversational format: "
        "`{\"messages\": [system, user, assistant]}`.",
        "",
        "| | |",
        "|---|---|",
        f"| snapshot ID | `{st['snapshot_id']}` |",
        f"| split manifest sha256 | `{manifest_sha}` |",
        f"| template | `{tmpl.get('name')}` sha256 `{tmpl.get('sha256')}` |",
        f"| config hash | `{st.get('config_hash')}` |",
        "",
        "## Split sizes",
        "",
        "| split | samples |",
        "|---|---|",
        *[f"| {s} | {sizes.get(s, 0)} |" for s in SPLITS],
        "",
        "Splits are assigned by time blocks of each video (never by row); prompts that equal or nearly duplicate "
        "a held-out prompt were dropped from the lower split.",
        "",
        "## Sources",
        "",
    ]
    if sources:
        keys = sorted({k for s in sources for k in s})
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for s in sources:
            lines.append("| " + " | ".join(str(s.get(k, "")).replace("|", "\\|") for k in keys) + " |")
    else:
        lines.append("(none given)")
    lines += ["", "## Rows rejected, per filter", "", "| filter | rows |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in st.get("filters", {}).items()]
    counts = {k: st[k] for k in ("input_pairs", "accepted_pairs", "input_samples", "samples", "rejected",
                                 "reject_rate") if k in st}
    lines += ["", "Totals: " + ", ".join(f"{k} {v}" for k, v in counts.items()), ""]
    if st.get("pii"):
        lines += ["## PII replaced by placeholders", "", "| kind | replaced |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in st["pii"].items()]
        lines.append("")
    lines += ["## Persona template", "", f"`{tmpl.get('name')}`, sha256 `{tmpl.get('sha256')}`:", "", "```text",
              (tmpl.get("text") or "").rstrip("\n"), "```", ""]
    return "\n".join(lines)


def _describe(folder: Path, snapshot_id: str, created: bool) -> dict[str, Any]:
    manifest = json.loads((folder / MANIFEST).read_text())
    return {
        "snapshot_id": snapshot_id,
        "path": str(folder),
        "created": created,
        "split_manifest_sha256": sha256_file(folder / MANIFEST),
        "jsonl": {s: str(folder / f"{s}.jsonl") for s in SPLITS},
        "dataset_dir": str(folder / DATASET_DIR),
        "card": str(folder / CARD),
        "split_sizes": {s: len(manifest.get(s, [])) for s in SPLITS},
        "files_sha256": {p: sha256_file(folder / p) for p in (MANIFEST, CARD, *(f"{s}.jsonl" for s in SPLITS))},
    }


def export_snapshot(result: CurationResult, out_dir: str | Path, sources: list[dict[str, Any]] | None = None
                    ) -> dict[str, Any]:
    """Write the snapshot's export under `out_dir/<snapshot_id>/` (atomically; a no-op when it exists) and return
    its description: paths, split manifest sha256, split sizes, file hashes, `created`."""
    from datasets import Dataset, DatasetDict

    samples = result.samples
    snapshot_id = result.snapshot_id
    out_dir = Path(out_dir)
    final = out_dir / snapshot_id
    if final.exists():
        return _describe(final, snapshot_id, created=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=out_dir))
    try:
        manifest = split_manifest(samples)
        (tmp / MANIFEST).write_text(canonical_json(manifest), encoding="utf-8")
        manifest_sha = sha256_file(tmp / MANIFEST)
        features = _messages_features()
        splits = {}
        for s in SPLITS:
            rows = samples.filter(pl.col("split") == s).sort("sample_id")["messages"].to_list()
            _write_jsonl(tmp / f"{s}.jsonl", rows)
            splits[s] = Dataset.from_dict({"messages": rows}, features=features)
        # one shard per split at least: datasets cannot load back a split saved with zero shards
        with _quiet_datasets():
            DatasetDict(splits).save_to_disk(str(tmp / DATASET_DIR), num_shards={s: 1 for s in SPLITS})
        (tmp / CARD).write_text(_card(result, list(sources or []), manifest_sha), encoding="utf-8")
        for p in tmp.rglob("*"):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # another writer won the race with the same content
            return _describe(final, snapshot_id, created=False)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _describe(final, snapshot_id, created=True)
