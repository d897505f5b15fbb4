"""Evaluation of a trained adapter against its base model, the regression gate and promotion (no dagster import)."""

from multimodal_pipeline.evaluate.evaluator import EvalResult, evaluate_adapter, load_suite
from multimodal_pipeline.evaluate.gate import gate
from multimodal_pipeline.train.tracking import PromotedAdapter, last_promoted, promote

__all__ = ["EvalResult", "PromotedAdapter", "evaluate_adapter", "gate", "last_promoted", "load_suite", "promote"]
