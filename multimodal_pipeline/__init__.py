"""Livestream VODs and their live chat into LLM fine-tuning data and a LoRA adapter, on Dagster."""

__version__ = "0.1.0"
