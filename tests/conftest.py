import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_atlas(tmp_path_factory, monkeypatch):
    """Every test gets its own rank atlas (``TNRNN_ATLAS``): no test reads or writes the user's cache."""
    monkeypatch.setenv("TNRNN_ATLAS", str(tmp_path_factory.mktemp("atlas") / "atlas.sqlite"))


@pytest.fixture
def fake_training(monkeypatch):
    """Experiments train with `tnrnn.testing.FakeTrainer` (the wiring is under test, not the training)."""
    from tnrnn.testing import FakeTrainer

    fake = FakeTrainer()
    monkeypatch.setattr("tnrnn.tasks.experiment.train", fake)
    return fake
