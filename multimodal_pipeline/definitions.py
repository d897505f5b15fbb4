"""Assembles the Dagster Definitions; nothing else lives here."""

from multimodal_pipeline.defs import build_defs

defs = build_defs()
