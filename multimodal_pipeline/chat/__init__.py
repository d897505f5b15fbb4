"""The `chat_events` tier: every common live-chat log format → one normalized ChatEvent table (pure domain code).

Public API:
- `parse_chat(path, video_id, fmt=None, config=None) -> ChatParseResult` (events, rejects, format, stats)
- `completeness(events, video_duration_ms=None, gap_threshold_ms=...) -> dict`
- `checks`: pure asset-check functions returning `(passed, metadata)`
- `FORMATS`, `ChatFormatError`, `ChatConfig`
"""

from multimodal_pipeline.chat import checks
from multimodal_pipeline.chat._core import ChatFormatError
from multimodal_pipeline.chat.completeness import completeness
from multimodal_pipeline.chat.detect import FORMATS
from multimodal_pipeline.chat.parse import ChatParseResult, parse_chat
from multimodal_pipeline.contracts.chat_config import ChatConfig, GenericColumns

__all__ = ["FORMATS", "ChatConfig", "ChatFormatError", "ChatParseResult", "GenericColumns", "checks", "completeness",
           "parse_chat"]
