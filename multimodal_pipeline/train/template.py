"""The training chat template and tokenization with assistant-only labels.

TRL's `assistant_only_loss` takes the loss mask from `{% generation %}` markers in the chat template. SmolLM2's stock
template is plain ChatML without them, and TRL ships no training variant for it, so `chatml_training.jinja` is the
same ChatML (it renders byte-identical text, the stock default system prompt included) with the assistant's content
*and its `<|im_end|>`* inside the markers: the end-of-turn token, which is also the tokenizer's EOS, is in the loss,
so the model learns to stop. Templates that already have markers are used as they are; otherwise TRL's own
training templates are tried.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from multimodal_pipeline.storage.hashing import sha256_bytes

CHATML_TRAINING_TEMPLATE = resources.files(__package__).joinpath("chatml_training.jinja").read_text("utf-8")
_MARKERS = re.compile(r"\{%-?\s*generation\s*-?%\}")
IGNORE = -100


class TemplateError(RuntimeError):
    """No training-compatible chat template could be found for the base model's tokenizer."""


def template_sha256(template: str) -> str:
    return sha256_bytes(template.encode("utf-8"))


def _is_chatml(template: str | None) -> bool:
    return bool(template) and "<|im_start|>" in template and "<|im_end|>" in template


def training_chat_template(tokenizer: Any) -> str:
    """A chat template with `{% generation %}` markers around each assistant turn, including its end token."""
    template = tokenizer.chat_template
    if isinstance(template, dict):
        template = template.get("default")
    if template and _MARKERS.search(template):
        return template
    if _is_chatml(template) or (template is None and "<|im_start|>" in tokenizer.get_vocab()):
        return CHATML_TRAINING_TEMPLATE
    try:
        from trl.chat_template_utils import get_training_chat_template

        patched = get_training_chat_template(tokenizer)
    except Exception as exc:  # noqa: BLE001 - TRL raises for templates it does not know
        raise TemplateError(
            f"the base model's chat template has no {{% generation %}} markers and no training variant is known; "
            f"add the markers around the assistant turn and its end token ({exc})"
        ) from exc
    if not patched:
        raise TemplateError("the base model's chat template has no {% generation %} markers")
    return patched


def prepare_tokenizer(tokenizer: Any) -> tuple[Any, str]:
    """Install the training template and a pad token distinct from EOS (so EOS is never mistaken for padding).

    Returns (tokenizer, template sha256).
    """
    template = training_chat_template(tokenizer)
    tokenizer.chat_template = template
    vocab = tokenizer.get_vocab()
    if tokenizer.pad_token is None or tokenizer.pad_token_id == tokenizer.eos_token_id:
        for candidate in ("<|endoftext|>", "<pad>", "<|pad|>", "<unk>"):
            if candidate in vocab and vocab[candidate] != tokenizer.eos_token_id:
                tokenizer.pad_token = candidate
                break
        else:
            tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.eos_token is None:
        raise TemplateError("the tokenizer has no EOS token")
    return tokenizer, template_sha256(template)


def check_template(tokenizer: Any) -> None:
    """The installed template must put the EOS token inside the assistant mask (else the model never learns to stop)."""
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    masked = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
    if not masked or masked[-1] != tokenizer.eos_token_id:
        raise TemplateError("the chat template does not train the EOS token at the end of the assistant turn")


def tokenize_for_loss(tokenizer: Any, messages: list[dict[str, str]], max_len: int) -> tuple[list[int], list[int]]:
    """input_ids and labels (IGNORE outside the assistant turn), truncated like TRL truncates (keep the start)."""
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids = list(out["input_ids"])[:max_len]
    labels = [t if m else IGNORE for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True)][:max_len]
    return ids, labels


def prompt_ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    """The conversation up to the assistant turn, ending with the generation prompt."""
    prompt = messages[:-1] if messages and messages[-1]["role"] == "assistant" else messages
    return list(tokenizer.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True, return_dict=True)
                ["input_ids"])
