"""The `aligned_pairs` tier: chat messages paired with the streamer's spoken responses (pure domain code)."""

from multimodal_pipeline.align.core import REASONS, Calibration, align, align_full

__all__ = ["REASONS", "Calibration", "align", "align_full"]
