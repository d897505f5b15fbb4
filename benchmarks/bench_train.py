"""Training benchmark: `multimodal_pipeline.train.train_adapter` against a minimal TRL script.

    .venv/bin/python benchmarks/bench_train.py                      # 8 steps, batch 8, 1 CPU thread
    .venv/bin/python benchmarks/bench_train.py --steps 20 --threads 2 --repeats 2

Both sides train the same LoRA (same base model: the safetensors cache of the bundled GGUF, same chat template with
`{% generation %}` markers, same data, seed, batch size, sequence length, steps, threads) on a generated snapshot of
variable-length chat replies with no val split, so neither side evaluates. Each run is its own subprocess (its
`ru_maxrss` is that run's peak memory); bare and pipeline runs alternate. torch/transformers/TRL/PEFT/datasets are
imported before the clock starts on both sides; the pipeline's own imports (MLflow) count against it.

- throughput: non-padding tokens / wall seconds, for the training loop alone (`trainer.train()`) and end to end
  (model load + dataset preparation + training + saving the adapter; the pipeline also validates the snapshot,
  hashes, stores the adapter by content hash, writes lineage and logs the MLflow run). overhead = bare / pipeline.
- padding waste: pad tokens / all tokens in the batches the trainer feeds the model, packing off and on (TRL
  best-fit-decreasing packing into `max_seq_len` blocks, padding-free), measured by walking the train dataloader.
- peak memory: peak RSS of each subprocess.

Writes `benchmarks/results/train.json` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.common import measure, write_result  # noqa: E402

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


def snapshot(n: int, seed: int):
    """Generated persona snapshot (train split only) with replies of 1 to 7 clauses, so batches need padding."""
    import polars as pl

    from multimodal_pipeline.train.synthetic import TOPICS, synthetic_snapshot

    df = synthetic_snapshot(n, seed=seed, splits=(1.0, 0.0), snapshot_id=f"bench-{n}-{seed}")
    rng = random.Random(seed)
    responses = []
    for response in df["response"].to_list():
        extra = [rng.choice(TOPICS)[1] for _ in range(rng.randint(0, 6))]
        responses.append(", ".join([response.removesuffix(", lets gooo"), *extra]) + ", lets gooo")
    return df.with_columns(
        pl.Series("response", responses),
        pl.Series("messages", [[m[0], m[1], {"role": "assistant", "content": r}]
                               for m, r in zip(df["messages"].to_list(), responses, strict=True)],
                  dtype=df.schema["messages"]),
    )


def train_config(args, packing: bool):
    from multimodal_pipeline.contracts.train_config import TrainConfig

    return TrainConfig(max_steps=args.steps, batch_size=args.batch_size, max_seq_len=args.max_seq_len,
                       packing=packing, learning_rate=1e-3, num_threads=args.threads, device=args.device,
                       seed=args.seed)


def preload() -> None:
    import datasets  # noqa: F401
    import peft  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401
    import trl  # noqa: F401


# --- workers (each runs in its own subprocess) --------------------------------------------------------------------


def worker_pipeline(args) -> dict:
    preload()
    from multimodal_pipeline.train import train_adapter

    df = snapshot(args.samples, args.seed)
    store = Path(args.run_dir)
    start = time.perf_counter()
    result = train_adapter(df, store, train_config(args, args.packing))
    wall = time.perf_counter() - start
    s = result.stats
    return {"tokens": s["tokens_seen"], "steps": s["steps"], "loop_s": s["train_seconds"], "wall_s": wall,
            "final_loss": s["last_loss"], "peak_cuda_mib": s["peak_cuda_mib"], "cache_hit": s["cache_hit"]}


def _bare_trainer(args, base_dir: Path, out_dir: Path, packing: bool):
    """The minimal TRL script: what anyone would write to fine-tune this model on these messages."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    from multimodal_pipeline.contracts.train_config import TrainConfig
    from multimodal_pipeline.train.template import CHATML_TRAINING_TEMPLATE

    import torch

    torch.set_num_threads(args.threads)
    defaults = TrainConfig()
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    tokenizer.chat_template = CHATML_TRAINING_TEMPLATE
    tokenizer.pad_token = "<|endoftext|>"
    set_seed(args.seed)
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).to("cuda" if cuda else "cpu")
    df = snapshot(args.samples, args.seed).sort("sample_id")
    data = Dataset.from_list([{"messages": m} for m in df["messages"].to_list()])
    config = SFTConfig(
        output_dir=str(out_dir), max_steps=args.steps, per_device_train_batch_size=args.batch_size,
        learning_rate=1e-3, max_length=args.max_seq_len, packing=packing, assistant_only_loss=True,
        seed=args.seed, data_seed=args.seed, bf16=cuda and torch.cuda.is_bf16_supported(), use_cpu=not cuda,
        gradient_checkpointing=cuda, logging_steps=1, save_strategy="no", report_to="none", disable_tqdm=True,
        include_num_input_tokens_seen="non_padding", dataloader_pin_memory=cuda,
    )
    lora = LoraConfig(r=defaults.lora_r, lora_alpha=defaults.lora_alpha, lora_dropout=defaults.lora_dropout,
                      target_modules=list(defaults.target_modules), bias="none", task_type="CAUSAL_LM")
    return SFTTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer, peft_config=lora)


def worker_bare(args) -> dict:
    preload()
    out_dir = Path(args.run_dir)
    start = time.perf_counter()
    trainer = _bare_trainer(args, Path(args.base_dir), out_dir, args.packing)
    loop_start = time.perf_counter()
    trainer.train()
    loop = time.perf_counter() - loop_start
    trainer.model.save_pretrained(str(out_dir / "adapter"))
    wall = time.perf_counter() - start
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"tokens": int(trainer.state.num_input_tokens_seen), "steps": int(trainer.state.global_step),
            "loop_s": loop, "wall_s": wall, "final_loss": losses[-1] if losses else None}


def worker_padding(args) -> dict:
    """Walk the train dataloader for `steps` batches: pad tokens vs real tokens, packing off or on."""
    preload()
    trainer = _bare_trainer(args, Path(args.base_dir), Path(args.run_dir), args.packing)
    real = total = loss_tokens = samples = batches = 0
    for batch in trainer.get_train_dataloader():
        ids = batch["input_ids"]
        total += ids.numel()
        mask = batch.get("attention_mask")
        real += int(mask.sum()) if mask is not None else ids.numel()
        loss_tokens += int((batch["labels"] != -100).sum())
        if "position_ids" in batch and mask is None:
            samples += int((batch["position_ids"] == 0).sum())
        else:
            samples += ids.shape[0]
        batches += 1
        if batches >= args.steps:
            break
    return {"batches": batches, "tokens_in_batches": total, "real_tokens": real, "loss_tokens": loss_tokens,
            "padding_waste": 1 - real / total if total else 0.0, "samples_per_step": samples / max(batches, 1),
            "real_tokens_per_step": real / max(batches, 1)}


def worker_prepare(args) -> dict:
    """Build the base-model cache and the MLflow store once (not measured)."""
    from multimodal_pipeline.contracts.train_config import BUNDLED_BASE_MODEL
    from multimodal_pipeline.train.base_model import base_model_dir, resolve_base_model

    folder, built = base_model_dir(resolve_base_model(BUNDLED_BASE_MODEL), Path(args.store))
    return {"base_dir": str(folder), "built": built}


WORKERS = {"pipeline": worker_pipeline, "bare": worker_bare, "padding": worker_padding, "prepare": worker_prepare}


# --- driver -------------------------------------------------------------------------------------------------------


def run_worker(kind: str, args, **extra) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    for key in ("steps", "batch_size", "max_seq_len", "samples", "seed", "threads", "device", "store"):
        cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    for key, value in extra.items():
        if value is True:
            cmd.append(f"--{key.replace('_', '-')}")
        elif value not in (None, False):
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    m = measure(cmd, cwd=str(REPO))
    out = json.loads(m["stdout"].strip().splitlines()[-1])
    return {**out, "process_wall_s": m["wall_s"], "peak_rss_mib": m["peak_rss_mib"]}


def fresh_pipeline_store(args, base_dir: Path) -> Path:
    """A new artifacts store (so the stage cache misses) that shares the converted base model and an MLflow DB
    initialised beforehand (the one-off schema creation is not part of a training run)."""
    store = Path(tempfile.mkdtemp(prefix="pipeline-", dir=args.store))
    (store / "base_models").mkdir()
    os.symlink(base_dir, store / "base_models" / base_dir.name)
    (store / "mlflow").mkdir()
    shutil.copy(Path(args.store) / "mlflow" / "mlflow.db", store / "mlflow" / "mlflow.db")
    return store


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-seq-len", type=int, default=256)
    p.add_argument("--samples", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--skip-packed-training", action="store_true", help="measure packing's padding only")
    p.add_argument("--store", default=str(Path(tempfile.gettempdir()) / "mmp-bench-train"),
                   help="scratch store; the converted base model is kept here between runs")
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--run-dir", help=argparse.SUPPRESS)
    p.add_argument("--base-dir", help=argparse.SUPPRESS)
    p.add_argument("--packing", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)))
        return

    store = Path(args.store)
    store.mkdir(parents=True, exist_ok=True)
    prep = run_worker("prepare", args)
    base_dir = Path(prep["base_dir"])
    if not (store / "mlflow" / "mlflow.db").exists():
        from multimodal_pipeline.train import tracking

        uri = tracking.default_mlflow_uri(store)
        tracking.experiment_id(uri, "multimodal_pipeline")
    print(f"base model cache: {base_dir} ({'built now' if prep['built'] else 'reused'})", file=sys.stderr)

    runs: dict[str, list[dict]] = {"bare": [], "pipeline": [], "bare_packed": [], "pipeline_packed": []}
    plan = [("bare", False), ("pipeline", False)] * args.repeats
    if not args.skip_packed_training:
        plan += [("bare", True), ("pipeline", True)]
    for kind, packing in plan:
        scratch = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=store))
        run_dir = fresh_pipeline_store(args, base_dir) if kind == "pipeline" else scratch
        result = run_worker(kind, args, run_dir=run_dir, base_dir=base_dir, packing=packing)
        runs[kind + ("_packed" if packing else "")].append(result)
        print(f"{kind}{' packed' if packing else ''}: {json.dumps(result)}", file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)

    padding = {}
    for packing in (False, True):
        scratch = Path(tempfile.mkdtemp(prefix="padding-", dir=store))
        padding["packed" if packing else "unpacked"] = run_worker("padding", args, run_dir=scratch,
                                                                  base_dir=base_dir, packing=packing)
        shutil.rmtree(scratch, ignore_errors=True)

    def rate(rows: list[dict], key: str) -> float | None:
        values = [r["tokens"] / r[key] for r in rows if r[key] > 0]
        return round(statistics.median(values), 2) if values else None

    summary = {}
    for name, rows in runs.items():
        if rows:
            summary[name] = {
                "loop_tokens_per_s": rate(rows, "loop_s"),
                "end_to_end_tokens_per_s": rate(rows, "wall_s"),
                "tokens": rows[0]["tokens"],
                "final_loss": rows[0]["final_loss"],
                "peak_rss_mib": max(r["peak_rss_mib"] for r in rows),
            }
    overhead = {}
    for suffix in ("", "_packed"):
        bare, pipe = summary.get("bare" + suffix), summary.get("pipeline" + suffix)
        if bare and pipe:
            overhead["overhead" + suffix] = {
                "loop_ratio": round(bare["loop_tokens_per_s"] / pipe["loop_tokens_per_s"], 3),
                "end_to_end_ratio": round(bare["end_to_end_tokens_per_s"] / pipe["end_to_end_tokens_per_s"], 3),
                "same_tokens": bare["tokens"] == pipe["tokens"],
            }
    payload = {
        "settings": {k: getattr(args, k) for k in ("steps", "batch_size", "max_seq_len", "samples", "seed", "threads",
                                                    "device", "repeats")},
        "summary": summary, **overhead, "padding": padding, "runs": runs,
        "load_average": os.getloadavg(),
    }
    path = write_result("train", payload)

    print(f"\n{'run':<18}{'loop tok/s':>12}{'e2e tok/s':>12}{'tokens':>9}{'peak RSS MiB':>14}")
    for name, row in summary.items():
        print(f"{name:<18}{row['loop_tokens_per_s']:>12}{row['end_to_end_tokens_per_s']:>12}{row['tokens']:>9}"
              f"{row['peak_rss_mib']:>14}")
    for name, row in overhead.items():
        print(f"{name}: bare/pipeline loop {row['loop_ratio']}, end to end {row['end_to_end_ratio']}")
    for name, row in padding.items():
        print(f"padding {name}: waste {row['padding_waste']:.1%}, {row['samples_per_step']:.1f} samples and "
              f"{row['real_tokens_per_step']:.0f} real tokens per step")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
