import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _private_jax_cache(tmp_path_factory):
    """The CLI's persistent JAX cache (``TNRNN_JAX_CACHE``) is one folder per test session, not the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TNRNN_JAX_CACHE", str(tmp_path_factory.mktemp("jax-cache")))
    yield
    mp.undo()


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
