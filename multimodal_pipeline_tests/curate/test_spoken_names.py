"""Every chatter's name as a streamer says it becomes <USER> in the training text; the no-PII gate sees names."""

from __future__ import annotations

import re

import polars as pl

from multimodal_pipeline.contracts.curate_config import CurateConfig
from multimodal_pipeline.curate import checks, curate_video
from multimodal_pipeline.curate.pipeline import chatter_names_pattern
from multimodal_pipeline.names import NAME_REPLACEMENT, handle_parts, names_pattern, spoken_forms
from multimodal_pipeline_tests.curate.helpers import event, frames, pair


def test_spoken_forms_of_handles():
    assert handle_parts("xXRapidBadgerXx") == ["rapid", "badger"]
    assert handle_parts("pixel_fox42") == handle_parts("PixelFox") == ["pixel", "fox"]
    forms = spoken_forms(["penguinmoon", "jenny.rivers", "ZERO_COOL_99", "TheGameMaster"],
                         vocabulary={"penguin", "moon"})
    assert "penguin moon" in forms and "penguinmoon" in forms
    assert "jenny rivers" in forms and "jenny" in forms  # the first part alone: a first name
    assert "zero cool" in forms
    assert "game" not in forms  # too common a first part to stand for a person
    pattern = names_pattern(forms)
    for said in ("thanks Penguin Moon!", "Jenny, great question", "zero-cool asked", "JENNY RIVERS"):
        assert re.search(pattern, said), said
    assert not re.search(pattern, "the moon is out tonight")


def test_a_first_name_that_is_an_ordinary_word_is_scrubbed_only_where_it_is_said_as_a_name():
    """SunnyMeme's first part alone is "sunny": a name in "thanks sunny," or "Sunny asks", the weather in "where I
    live is sunny today" (the demo's curated text read "where I live is <USER> today")."""
    pattern = names_pattern(spoken_forms(["SunnyMeme", "lucky_cactus"]))
    said = pl.Series(["where I live is sunny today, not my favorite weather", "thanks sunny, I use a Keychron",
                      "Sunny asks, what keyboard", "question from Sunny Meme, what", "it's a lucky keyboard",
                      "Lucky, it's a Keychron", "hey lucky cactus and sunny, welcome"])
    assert said.str.replace_all(pattern, NAME_REPLACEMENT).to_list() == [
        "where I live is sunny today, not my favorite weather", "thanks <USER>, I use a Keychron",
        "<USER> asks, what keyboard", "question from <USER>, what", "it's a lucky keyboard", "<USER>, it's a Keychron",
        "hey <USER> and <USER>, welcome"]
    assert said.str.count_matches(pattern).to_list() == [0, 1, 1, 1, 0, 1, 2]


def test_curation_scrubs_every_chatter_name_and_the_gate_fails_without_it():
    events = [event(0, "what keyboard do you use?", author="jenny.rivers"),
              event(1, "gg", author="penguinmoon"), event(2, "hi", author="xXRapidBadgerXx")]
    rows = [pair(0, "what keyboard do you use?", "thanks Jenny, and hi Penguin Moon and rapid badger, I use a "
                 "Keychron keyboard", author="jenny.rivers")]
    p, e, _ = frames(rows, events)
    res = curate_video(p, e, None, "vid1")
    s = res.samples.row(0, named=True)
    assert s["response"] == "thanks <USER>, and hi <USER> and <USER>, I use a Keychron keyboard"
    assert s["names_scrubbed"] == 3 and res.stats["pii"]["spoken_name"] == 3
    names = chatter_names_pattern(e, res.samples["response"])
    assert checks.check_no_pii(res.samples, names=names)[0]
    kept = curate_video(p, e, None, "vid1", CurateConfig(scrub_spoken_names=False))
    ok, meta = checks.check_no_pii(kept.samples, names=chatter_names_pattern(e, kept.samples["response"]))
    assert not ok and meta["by_kind"]["spoken_name"] == 3
