"""Reload an adapter onto its base model; score assistant-turn loss; generate replies greedily."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multimodal_pipeline.train.base_model import (
    base_model_dir,
    load_model,
    load_tokenizer,
    offline,
    resolve_base_model,
)
from multimodal_pipeline.train.template import IGNORE, prompt_ids, tokenize_for_loss


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int  # generated tokens, the EOS excluded
    stopped: bool  # the model emitted EOS within the token limit


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def lineage_of(checkpoint: Any) -> dict[str, Any]:
    path = Path(checkpoint.lineage_path) if getattr(checkpoint, "lineage_path", None) else None
    if path is None or not path.exists():
        path = Path(checkpoint.adapter_path).parent / f"{checkpoint.adapter_sha256}.lineage.json"
    return json.loads(path.read_text()) if path.exists() else {}


def base_dir_for(checkpoint: Any, artifacts_dir: str | Path) -> Path:
    """The base model directory an adapter was trained on, checked against the recorded base-model hash."""
    config = lineage_of(checkpoint).get("config", {})
    resolved = resolve_base_model(checkpoint.base_model_id, config.get("gguf_file"))
    if resolved.sha256 != checkpoint.base_model_sha256:
        raise RuntimeError(
            f"base model '{checkpoint.base_model_id}' now hashes to {resolved.sha256[:12]}…, but the adapter was "
            f"trained on {checkpoint.base_model_sha256[:12]}…"
        )
    folder, _ = base_model_dir(resolved, artifacts_dir)
    return folder


def load_adapter_model(adapter_path: str | Path, base_dir: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """(PeftModel in eval mode, the adapter's tokenizer with its training chat template)."""
    from peft import PeftModel

    offline()
    tokenizer = load_tokenizer(adapter_path)
    model = PeftModel.from_pretrained(load_model(base_dir, device=device), str(adapter_path))
    model.eval()
    return model, tokenizer


def loss_sums(model: Any, tokenizer: Any, conversations: list[list[dict[str, str]]], max_len: int,
              batch_size: int = 8) -> tuple[float, int]:
    """(summed token cross-entropy over the assistant turns, number of scored tokens)."""
    import torch

    device = next(model.parameters()).device
    encoded = [tokenize_for_loss(tokenizer, msgs, max_len) for msgs in conversations]
    total, count = 0.0, 0
    with torch.inference_mode():
        for i in range(0, len(encoded), batch_size):
            batch = encoded[i:i + batch_size]
            width = max(len(ids) for ids, _ in batch)
            ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, (x, y) in enumerate(batch):
                ids[row, :len(x)] = torch.tensor(x)
                labels[row, :len(y)] = torch.tensor(y)
                mask[row, :len(x)] = 1
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()
            shift_logits, shift_labels = logits[:, :-1], labels[:, 1:].to(device)
            loss = torch.nn.functional.cross_entropy(
                shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1),
                ignore_index=IGNORE, reduction="sum",
            )
            total += float(loss)
            count += int((shift_labels != IGNORE).sum())
    return total, count


def generate(model: Any, tokenizer: Any, conversations: list[list[dict[str, str]]], max_new_tokens: int,
             batch_size: int = 8) -> list[Generation]:
    """Greedy replies to each conversation (its assistant turn, if any, is left out)."""
    import torch
    from transformers import GenerationConfig

    device = next(model.parameters()).device
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    gen_config = GenerationConfig(max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos, pad_token_id=pad)
    prompts = [prompt_ids(tokenizer, msgs) for msgs in conversations]
    out: list[Generation] = []
    with torch.inference_mode():
        for i in range(0, len(prompts), batch_size):
            batch = prompts[i:i + batch_size]
            width = max(len(p) for p in batch)
            ids = torch.full((len(batch), width), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, p in enumerate(batch):  # left padding: every prompt ends where generation starts
                ids[row, width - len(p):] = torch.tensor(p)
                mask[row, width - len(p):] = 1
            seqs = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                  generation_config=gen_config)
            for row in seqs[:, width:].tolist():
                stopped = eos in row
                tokens = row[:row.index(eos)] if stopped else [t for t in row if t != pad]
                out.append(Generation(tokenizer.decode(tokens, skip_special_tokens=True).strip(), len(tokens),
                                      stopped))
    return out
