"""NLU fixtures: each model is trained once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import load_model, train
from tests.nlu.synthetic import write_dataset

HERE = Path(__file__).parent
SAMPLE = HERE / "data" / "sample.yml"
REPO = HERE.parent.parent
NLU_DATA = REPO / "nlu_data"


@pytest.fixture(scope="session")
def sample_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "sample"
    train(SAMPLE, out)
    return out


@pytest.fixture(scope="session")
def sample_model(sample_model_dir: Path):
    return load_model(sample_model_dir)


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("synthetic") / "nlu.yml")


@pytest.fixture(scope="session")
def synthetic_training(synthetic_data: Path, tmp_path_factory: pytest.TempPathFactory):
    return train(synthetic_data, tmp_path_factory.mktemp("models") / "synthetic")


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not any(NLU_DATA.glob("nlu/*.yml")):
        pytest.skip("nlu_data/nlu has no training data yet")
    return NLU_DATA
