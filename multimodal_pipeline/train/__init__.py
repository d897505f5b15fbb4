"""LoRA fine-tuning of the base model on a curated snapshot, tracked in MLflow (no dagster import).

Heavy libraries (torch, transformers, TRL, PEFT, MLflow) are imported inside the functions, never at import time.
"""

from multimodal_pipeline.train.base_model import (
    ResolvedBaseModel,
    base_model_dir,
    clear_quantization_state,
    resolve_base_model,
)
from multimodal_pipeline.train.hashing import hash_dir, split_manifest, split_manifest_sha256
from multimodal_pipeline.train.inference import generate, load_adapter_model
from multimodal_pipeline.train.tracking import PromotedAdapter, default_mlflow_uri, last_promoted, promote
from multimodal_pipeline.train.trainer import TrainingDataError, TrainResult, loss_fell, resolve_runtime, train_adapter

__all__ = [
    "PromotedAdapter", "ResolvedBaseModel", "TrainResult", "TrainingDataError", "base_model_dir",
    "clear_quantization_state", "default_mlflow_uri", "generate", "hash_dir", "last_promoted", "loss_fell",
    "load_adapter_model", "promote", "resolve_base_model", "resolve_runtime", "split_manifest",
    "split_manifest_sha256", "train_adapter",
]
