"""One trained adapter shared by the training and evaluation tests (a handful of CPU steps on a tiny snapshot)."""

from pathlib import Path

import pytest

from multimodal_pipeline.contracts.train_config import EvalConfig, TrainConfig
from multimodal_pipeline.train.synthetic import synthetic_snapshot

#: 1 thread: on a shared 2-core box, 2 torch threads contending with other processes are several times slower
TINY = TrainConfig(max_steps=6, batch_size=4, max_seq_len=128, learning_rate=1e-3, num_threads=1)
TINY_EVAL = EvalConfig(max_new_tokens=12, max_generation_samples=4, batch_size=16, num_threads=1)


@pytest.fixture(scope="session")
def train_artifacts(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("train_artifacts")


@pytest.fixture(scope="session")
def snapshot():
    return synthetic_snapshot(40)  # 28 train, 6 val, 6 test


@pytest.fixture(scope="session")
def trained(train_artifacts, snapshot):
    from multimodal_pipeline.train import train_adapter

    events: list[dict] = []
    result = train_adapter(snapshot, train_artifacts, TINY, progress=events.append)
    result.stats["progress_events"] = events
    return result


@pytest.fixture(scope="session")
def evaluated(trained, train_artifacts, snapshot):
    from multimodal_pipeline.evaluate import evaluate_adapter

    return evaluate_adapter(snapshot, trained.checkpoint, train_artifacts, TINY_EVAL)
