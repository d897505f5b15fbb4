"""The training chat template renders like SmolLM2's stock ChatML and puts the EOS in the assistant loss mask."""

import pytest

from multimodal_pipeline.contracts.train_config import BUNDLED_BASE_MODEL
from multimodal_pipeline.train import base_model as bm
from multimodal_pipeline.train.template import (
    CHATML_TRAINING_TEMPLATE,
    IGNORE,
    check_template,
    prepare_tokenizer,
    template_sha256,
    tokenize_for_loss,
)

MESSAGES = [
    {"role": "system", "content": "You are Kai."},
    {"role": "user", "content": "mia: what game is next?"},
    {"role": "assistant", "content": "yo mia! next up is the dungeon run, lets gooo"},
]


@pytest.fixture(scope="module")
def stock_tokenizer(trained, train_artifacts):
    folder, _ = bm.base_model_dir(bm.resolve_base_model(BUNDLED_BASE_MODEL), train_artifacts)
    return bm.load_tokenizer(folder)


def test_training_template_renders_like_the_stock_one(stock_tokenizer):
    assert "{% generation %}" not in stock_tokenizer.chat_template  # why a training template is needed
    for msgs in (MESSAGES, MESSAGES[1:]):  # with and without a system prompt (the stock default is kept)
        stock = stock_tokenizer.apply_chat_template(msgs, tokenize=False)
        ours = stock_tokenizer.apply_chat_template(msgs, tokenize=False, chat_template=CHATML_TRAINING_TEMPLATE)
        assert ours == stock
    prompt = stock_tokenizer.apply_chat_template(MESSAGES[:2], tokenize=False, add_generation_prompt=True)
    assert prompt == stock_tokenizer.apply_chat_template(
        MESSAGES[:2], tokenize=False, add_generation_prompt=True, chat_template=CHATML_TRAINING_TEMPLATE)


def test_loss_covers_the_reply_and_its_eos_only(stock_tokenizer, trained):
    tok, sha = prepare_tokenizer(stock_tokenizer.__class__.from_pretrained(stock_tokenizer.name_or_path))
    assert sha == template_sha256(CHATML_TRAINING_TEMPLATE) == trained.checkpoint.chat_template_sha256
    assert tok.pad_token_id != tok.eos_token_id
    check_template(tok)
    ids, labels = tokenize_for_loss(tok, MESSAGES, 512)
    trained_ids = [t for t in labels if t != IGNORE]
    assert trained_ids[-1] == tok.eos_token_id
    assert tok.decode(trained_ids[:-1]) == MESSAGES[-1]["content"]
