"""`train_adapter`: a LoRA adapter on a curated snapshot's train split, with TRL's SFTTrainer, tracked in MLflow.

Flow: validate the snapshot → resolve and hash the base model (GGUF → safetensors cache on first use) → install the
training chat template (assistant turn + its `<|im_end|>`/EOS in the loss) → stage key over (base model hash,
snapshot content hash, template hash, config hash, device/precision, code version): an existing output for the key
is returned as it is → otherwise train (seeded; the val split is evaluated before training, every `eval_steps` and
at the end) → store the adapter directory under `<artifacts>/adapters/<sha256 of its files>/` with
`<sha256>.lineage.json` beside it → one MLflow run (hashes as params, loss curves as metrics, adapter + dataset card
as artifacts) → the stage record `<artifacts>/adapters/stages/<stage key>.json`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from multimodal_pipeline.contracts import AdapterCheckpoint, CuratedSample, frame_from_records, validate
from multimodal_pipeline.contracts.train_config import RUNTIME_ONLY_FIELDS, TrainConfig
from multimodal_pipeline.storage.atomic import TMP_PREFIX, OwnedDir, atomic_write_text
from multimodal_pipeline.storage.hashing import config_hash
from multimodal_pipeline.storage.root import DataRoot
from multimodal_pipeline.storage.stage import stage_key
from multimodal_pipeline.train import tracking
from multimodal_pipeline.train.base_model import base_model_dir, load_model, load_tokenizer, offline, resolve_base_model
from multimodal_pipeline.train.hashing import (
    combined_id,
    hash_dir,
    split_manifest,
    split_manifest_sha256,
    snapshot_content_sha256,
)
from multimodal_pipeline.train.template import check_template, prepare_tokenizer

STAGE = "adapter_checkpoint"
#: bump when a change here changes what training produces for the same inputs and config
CODE_VERSION = "train-1"

#: progress({"step", "max_steps", "epoch", "loss", "eval_loss", "learning_rate", "grad_norm", "tokens_per_s",
#: "tokens_seen"}) per logged step; then one summary with "final": True (and "cache_hit") when training ends or the
#: stage cache answers
ProgressFn = Callable[[dict[str, Any]], None]


class TrainingDataError(ValueError):
    """The snapshot cannot be trained on (e.g. an empty train split)."""


@dataclass
class TrainResult:
    checkpoint: AdapterCheckpoint
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pl.DataFrame:
        """The one-row `adapter_checkpoint` table."""
        return frame_from_records(AdapterCheckpoint, [self.checkpoint])


@dataclass(frozen=True)
class Runtime:
    device: str  # "cpu" | "cuda"
    bf16: bool
    gradient_checkpointing: bool

    @property
    def precision(self) -> str:
        return "bf16" if self.bf16 else "fp32"


def resolve_runtime(config: TrainConfig) -> Runtime:
    """cuda when asked or (auto) when present; bf16 only on a CUDA GPU that supports it; checkpointing off on CPU."""
    import torch

    device = config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("TrainConfig.device is 'cuda' but torch sees no CUDA device")
    bf16_ok = device == "cuda" and torch.cuda.is_bf16_supported()
    if config.bf16 == "auto":
        bf16 = bf16_ok
    else:
        bf16 = bool(config.bf16)
        if bf16 and not bf16_ok:
            raise RuntimeError("TrainConfig.bf16 is on but the device does not support bf16 (CPU or an older GPU)")
    gc = config.gradient_checkpointing if config.gradient_checkpointing is not None else device == "cuda"
    return Runtime(device, bf16, gc)


def loss_thirds(history: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """The mean training loss of the first and of the last third of the logged steps in a training `history` (at
    least one step each)."""
    losses = [h["loss"] for h in history if h.get("loss") is not None]
    if not losses:
        return None, None
    k = max(1, len(losses) // 3)
    return sum(losses[:k]) / k, sum(losses[-k:]) / k


def loss_fell(stats: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Whether training lowered the loss, and the figures it was decided on: the validation split's loss before the
    first step against after the last (the same samples both times) when there is a validation split, else the mean
    training loss of the last third of the logged steps against the first third's. One batch's training loss is
    noisy: on a corpus of a few dozen samples the last batch alone sat above the first (3.82 -> 4.17), and so did
    the last epoch's three batches (3.55 -> 3.75), while the validation loss fell 4.04 -> 3.92."""
    before, after = stats.get("initial_eval_loss"), stats.get("eval_loss")
    if before is not None and after is not None:
        return after < before, {"on": "validation loss", "before": before, "after": after}
    early, late = loss_thirds(stats.get("history") or [])
    fell = early is not None and late is not None and late < early
    return fell, {"on": "training loss, first and last third of the steps", "before": early, "after": late}


def train_config_hash(config: TrainConfig) -> str:
    """Hash of everything in the config that can change the trained adapter."""
    return config_hash(config.model_dump(mode="json", exclude=set(RUNTIME_ONLY_FIELDS)))


def messages_of(df: pl.DataFrame) -> list[list[dict[str, str]]]:
    return [[{"role": m["role"], "content": m["content"]} for m in msgs] for msgs in df["messages"].to_list()]


def _dataset(df: pl.DataFrame) -> Any:
    from datasets import Dataset

    return Dataset.from_list([{"messages": m} for m in messages_of(df.sort("sample_id"))])


class _ProgressCallback:
    """Feeds the trainer's logs to `progress` with a tokens/s figure; keeps the loss history."""

    def __init__(self, progress: ProgressFn | None):
        self.progress = progress
        self.history: list[dict[str, Any]] = []
        self._last: tuple[float, int] | None = None

    def build(self) -> Any:
        from transformers import TrainerCallback

        outer = self

        class Callback(TrainerCallback):
            def on_train_begin(self, args, state, control, **kwargs):
                outer._last = (time.perf_counter(), state.num_input_tokens_seen)

            def on_log(self, args, state, control, logs=None, **kwargs):
                outer.on_log(state, logs or {})

        return Callback()

    def on_log(self, state: Any, logs: dict[str, Any]) -> None:
        now, seen = time.perf_counter(), int(state.num_input_tokens_seen or 0)
        tokens_per_s = None
        if self._last is not None and "loss" in logs:
            dt, dn = now - self._last[0], seen - self._last[1]
            tokens_per_s = dn / dt if dt > 0 else None
            self._last = (now, seen)
        entry = {
            "step": int(state.global_step),
            "max_steps": int(state.max_steps),
            "epoch": logs.get("epoch", state.epoch),
            "loss": logs.get("loss"),
            "eval_loss": logs.get("eval_loss"),
            "learning_rate": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "tokens_seen": seen,
            "tokens_per_s": tokens_per_s,
        }
        if entry["loss"] is None and entry["eval_loss"] is None:
            return  # the end-of-training summary: reported separately
        self.history.append(entry)
        if self.progress is not None:
            self.progress(dict(entry))


def _normalize_adapter_dir(folder: Path, base_id: str, base_sha: str, template_sha: str, cfg_hash: str) -> None:
    """Make the saved files a function of the trained weights and inputs only, so equal runs hash equally.

    PEFT writes `target_modules` from a set (its order follows Python's per-process string hashing) and a model
    card naming the local base-model cache path; both are rewritten.
    """
    config_path = folder / "adapter_config.json"
    config = json.loads(config_path.read_text())
    for key in ("target_modules", "exclude_modules", "modules_to_save"):
        if isinstance(config.get(key), list):
            config[key] = sorted(config[key])
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (folder / "README.md").write_text(
        "---\n"
        f"base_model: {base_id}\n"
        "library_name: peft\n"
        "pipeline_tag: text-generation\n"
        "tags: [lora, sft, trl, multimodal_pipeline]\n"
        "---\n\n"
        "# LoRA adapter (multimodal_pipeline)\n\n"
        f"- base model: `{base_id}` (sha256 `{base_sha}`)\n"
        f"- chat template sha256: `{template_sha}` (`chat_template.jinja`, with `{{% generation %}}` markers)\n"
        f"- training config hash: `{cfg_hash}`\n\n"
        "Load it with `peft.PeftModel.from_pretrained(base_model, <this directory>)` and the tokenizer saved here.\n"
        "Its data lineage is in `<sha256>.lineage.json` beside this directory.\n"
    )


def _store_adapter(tmp_dir: Path, adapters_root: Path) -> tuple[Path, str]:
    """Move an adapter directory to `<adapters_root>/<its content hash>/` (atomic rename; idempotent)."""
    digest = hash_dir(tmp_dir)
    target = adapters_root / digest
    if target.exists() and hash_dir(target) == digest:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return target, digest
    if target.exists():  # a damaged copy: replace it
        shutil.rmtree(target)
    os.chmod(tmp_dir, 0o755)
    os.rename(tmp_dir, target)
    return target, digest


def _dataset_card(df: pl.DataFrame, snapshot_id: str, manifest_sha: str) -> str:
    counts = {s: int(df.filter(pl.col("split") == s).height) for s in ("train", "val", "test")}
    videos = sorted(set(df["video_id"].to_list()))
    return "\n".join([
        f"# Curated snapshot {snapshot_id}",
        "",
        "Generated by `train_adapter` (no dataset card was passed).",
        "",
        f"- split manifest sha256: `{manifest_sha}`",
        f"- samples: train {counts['train']}, val {counts['val']}, test {counts['test']}",
        f"- videos ({len(videos)}): {', '.join(videos[:50])}{' …' if len(videos) > 50 else ''}",
        "",
    ])


def _load_stage(record: Path, store: DataRoot | None = None) -> TrainResult | None:
    """The training run a stage key recorded. With the data root `store`, the record names its files by key: they
    (and the record) are fetched into this working copy when it lacks them, so another machine reuses the adapter."""
    try:
        if store is not None:
            record = store.fetch(store.key(record))
        data = json.loads(record.read_text())
        checkpoint = AdapterCheckpoint(**data["checkpoint"])
        if store is not None:
            checkpoint = checkpoint.model_copy(update={"adapter_path": str(store.fetch_tree(checkpoint.adapter_path)),
                                                       "lineage_path": str(store.fetch(checkpoint.lineage_path))})
    except (FileNotFoundError, ValueError):
        return None
    path = Path(checkpoint.adapter_path)
    if not path.is_dir() or hash_dir(path) != checkpoint.adapter_sha256:
        return None  # the adapter was removed or damaged: train again
    return TrainResult(checkpoint, {**data["stats"], "cache_hit": True})


def stage_record_path(artifacts_dir: str | Path, key: str) -> Path:
    return Path(artifacts_dir) / "adapters" / "stages" / f"{key}.json"


def load_stage_stats(artifacts_dir: str | Path, key: str) -> dict[str, Any] | None:
    """The stats (loss history included) recorded by the training run of a stage key."""
    record = stage_record_path(artifacts_dir, key)
    return json.loads(record.read_text())["stats"] if record.exists() else None


def train_adapter(
    snapshot_df: pl.DataFrame,
    artifacts_dir: str | Path,
    config: TrainConfig | None = None,
    *,
    progress: ProgressFn | None = None,
    card_path: str | Path | None = None,
    mlflow_uri: str | None = None,
    store: DataRoot | None = None,
) -> TrainResult:
    """Train (or fetch from the stage cache) a LoRA adapter on the snapshot's train split. With the data root `store`
    (whose working copy holds `artifacts_dir`), the adapter, its lineage and the stage record are stored under keys
    (uploaded when the root is an object store), the record last."""
    config = config or TrainConfig()
    artifacts = Path(artifacts_dir).resolve()
    offline()
    df = validate(snapshot_df, CuratedSample, "curated_snapshot")
    train_df = df.filter(pl.col("split") == "train")
    val_df = df.filter(pl.col("split") == "val")
    if train_df.is_empty():
        raise TrainingDataError("curated_snapshot: the train split is empty; nothing to train on")

    resolved = resolve_base_model(config.base_model, config.gguf_file)
    model_dir, base_built = base_model_dir(resolved, artifacts)
    tokenizer, chat_template_sha = prepare_tokenizer(load_tokenizer(model_dir))
    check_template(tokenizer)
    runtime = resolve_runtime(config)
    cfg_hash = train_config_hash(config)
    manifest_sha = split_manifest_sha256(df)
    content_sha = snapshot_content_sha256(df)
    snapshot_id = combined_id(df["snapshot_id"].to_list())
    template_sha = combined_id(df["template_sha256"].to_list())
    key = stage_key(
        STAGE,
        [resolved.sha256, content_sha, chat_template_sha],
        config_hash({"config": cfg_hash, "device": runtime.device, "precision": runtime.precision}),
        CODE_VERSION,
    )
    record = stage_record_path(artifacts, key)
    cached = _load_stage(record, store)
    if cached is not None:
        if progress is not None:
            progress({"final": True, "cache_hit": True, "stage_key": key, "adapter_sha256":
                      cached.checkpoint.adapter_sha256, "step": cached.stats.get("steps")})
        return cached

    import torch
    from peft import LoraConfig
    from datasets.utils.logging import disable_progress_bar
    from transformers import PrinterCallback, set_seed
    from trl import SFTConfig, SFTTrainer

    disable_progress_bar()  # the dataset preparation bars would flood the run log
    warming = tracking.prewarm()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    set_seed(config.seed)  # before the LoRA weights are initialised inside SFTTrainer
    model = load_model(model_dir, device=runtime.device)
    targets = list(config.target_modules)
    peft_config = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules="all-linear" if targets == ["all-linear"] else targets,
        bias="none", task_type="CAUSAL_LM",
    )
    work = artifacts / "adapters" / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    owned = OwnedDir(work, TMP_PREFIX + "run-")  # sweeps what killed trainings left behind
    out_dir = owned.path
    has_val = not val_df.is_empty()
    args = SFTConfig(
        output_dir=str(out_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        max_length=config.max_seq_len,
        packing=config.packing,
        assistant_only_loss=True,
        seed=config.seed,
        data_seed=config.seed,
        bf16=runtime.bf16,
        fp16=False,
        use_cpu=runtime.device == "cpu",
        gradient_checkpointing=runtime.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if runtime.gradient_checkpointing else None,
        eval_strategy="steps" if (has_val and config.eval_steps) else "no",
        eval_steps=config.eval_steps if has_val else None,
        logging_steps=config.logging_steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        dataloader_pin_memory=runtime.device == "cuda",
    )
    start = time.perf_counter()
    callback = _ProgressCallback(progress)
    trainer = None
    try:
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=_dataset(train_df),
            eval_dataset=_dataset(val_df) if has_val else None,
            processing_class=tokenizer, peft_config=peft_config, callbacks=[callback.build()],
        )
        trainer.remove_callback(PrinterCallback)  # progress goes through `progress`, not print()
        if has_val:
            trainer.evaluate()  # the val loss before training: step 0 of the eval curve
        train_start = time.perf_counter()
        output = trainer.train()
        train_seconds = time.perf_counter() - train_start
        final_eval = trainer.evaluate() if has_val else {}
        eval_loss = final_eval.get("eval_loss")
        tokens_seen = int(trainer.state.num_input_tokens_seen or 0)
        steps = int(trainer.state.global_step)

        adapter_tmp = out_dir / "adapter"
        peft_model = trainer.model
        for cfg in peft_model.peft_config.values():
            cfg.base_model_name_or_path = resolved.model_id  # not the cache path: keeps the adapter's hash portable
        peft_model.save_pretrained(str(adapter_tmp), save_embedding_layers=False)
        tokenizer.save_pretrained(str(adapter_tmp))
        _normalize_adapter_dir(adapter_tmp, resolved.model_id, resolved.sha256, chat_template_sha, cfg_hash)
        adapter_path, adapter_sha = _store_adapter(adapter_tmp, artifacts / "adapters")
    finally:
        del trainer, model
        owned.close()

    losses = [h["loss"] for h in callback.history if h.get("loss") is not None]
    evals = [h["eval_loss"] for h in callback.history if h.get("eval_loss") is not None]
    stats: dict[str, Any] = {
        "cache_hit": False,
        "stage_key": key,
        "base_model_cache_built": base_built,
        "base_model_dir": str(model_dir),
        "device": runtime.device,
        "precision": runtime.precision,
        "gradient_checkpointing": runtime.gradient_checkpointing,
        "train_samples": train_df.height,
        "val_samples": val_df.height,
        "steps": steps,
        "tokens_seen": tokens_seen,
        "train_seconds": round(train_seconds, 3),
        "total_seconds": round(time.perf_counter() - start, 3),
        "tokens_per_s": round(tokens_seen / train_seconds, 2) if train_seconds > 0 else None,
        "train_loss_mean": float(output.training_loss),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "initial_eval_loss": evals[0] if evals else None,
        "eval_loss": eval_loss,
        "history": callback.history,
        "config_hash": cfg_hash,
        "snapshot_content_sha256": content_sha,
        "peak_cuda_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if runtime.device == "cuda" else None,
    }

    if progress is not None:
        progress({"final": True, "cache_hit": False, "step": steps, "max_steps": steps, "loss": stats["last_loss"],
                  "eval_loss": eval_loss, "tokens_seen": tokens_seen, "tokens_per_s": stats["tokens_per_s"],
                  "train_seconds": stats["train_seconds"], "adapter_sha256": adapter_sha})

    lineage = {
        "adapter_sha256": adapter_sha,
        "stage_key": key,
        "code_version": CODE_VERSION,
        "base_model_id": resolved.model_id,
        "base_model_sha256": resolved.sha256,
        "snapshot_id": snapshot_id,
        "snapshot_ids": sorted(set(df["snapshot_id"].to_list())),
        "snapshot_content_sha256": content_sha,
        "split_manifest_sha256": manifest_sha,
        "split_manifest": split_manifest(df),
        "template_sha256": template_sha,
        "chat_template_sha256": chat_template_sha,
        "config_hash": cfg_hash,
        "config": config.model_dump(mode="json"),
        "device": runtime.device,
        "precision": runtime.precision,
    }
    lineage_path = artifacts / "adapters" / f"{adapter_sha}.lineage.json"
    atomic_write_text(lineage_path, json.dumps(lineage, indent=2, sort_keys=True))

    uri = mlflow_uri or tracking.default_mlflow_uri(artifacts)
    warming.join()
    with contextlib.ExitStack() as stack:
        if card_path is None:
            card_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=TMP_PREFIX, dir=work)))
            card = card_dir / "README.md"
            card.write_text(_dataset_card(df, snapshot_id, manifest_sha))
        else:
            card = Path(card_path)
        params = {
            "adapter_sha256": adapter_sha, "stage_key": key, "base_model_id": resolved.model_id,
            "base_model_sha256": resolved.sha256, "snapshot_id": snapshot_id, "split_manifest_sha256": manifest_sha,
            "template_sha256": template_sha, "chat_template_sha256": chat_template_sha, "config_hash": cfg_hash,
            "snapshot_content_sha256": content_sha, "code_version": CODE_VERSION, "device": runtime.device,
            "precision": runtime.precision, "train_samples": train_df.height, "val_samples": val_df.height,
            **{f"cfg.{k}": v for k, v in config.model_dump(mode="json").items()},
        }
        run_id = tracking.log_training_run(
            uri, config.mlflow_experiment,
            run_name=f"adapter-{snapshot_id[:24]}-{adapter_sha[:8]}",
            params=params,
            tags={"adapter_path": str(adapter_path), "stage_key": key, "snapshot_id": snapshot_id},
            history=callback.history,
            summary={"train_loss_mean": stats["train_loss_mean"], "final_eval_loss": eval_loss,
                     "tokens_per_s": stats["tokens_per_s"], "train_seconds": stats["train_seconds"],
                     "train_tokens": tokens_seen},
            artifacts={"adapter": adapter_path, "dataset_card": card, "lineage": lineage_path},
        )
    stats["mlflow_uri"] = uri

    checkpoint = AdapterCheckpoint(
        adapter_path=str(adapter_path),
        adapter_sha256=adapter_sha,
        stage_key=key,
        mlflow_run_id=run_id,
        base_model_id=resolved.model_id,
        base_model_sha256=resolved.sha256,
        snapshot_id=snapshot_id,
        split_manifest_sha256=manifest_sha,
        template_sha256=template_sha,
        train_samples=train_df.height,
        train_loss=float(output.training_loss),
        eval_loss=float(eval_loss) if eval_loss is not None else None,
        chat_template_sha256=chat_template_sha,
        config_hash=cfg_hash,
        val_samples=val_df.height,
        train_steps=steps,
        train_tokens=tokens_seen,
        device=runtime.device,
        lineage_path=str(lineage_path),
    )
    stored = checkpoint
    if store is not None:  # the files first, then the record that names them by key
        stored = checkpoint.model_copy(update={"adapter_path": store.publish_tree(adapter_path),
                                               "lineage_path": store.publish(lineage_path)})
    atomic_write_text(record, json.dumps({"checkpoint": stored.model_dump(mode="json"), "stats": stats},
                                         indent=2, sort_keys=True))
    if store is not None:
        store.publish(record)
    return TrainResult(checkpoint, stats)
