import os

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


import pytest  # noqa: E402


def _test_jax_cache() -> str:
    """``$TNRNN_JAX_CACHE`` when set (``off``: none), else a folder of the tests' own beside the CLI's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.environ.get("TNRNN_JAX_CACHE") or os.path.join(base, "tnrnn", "jax-tests")


_JAX_CACHE = _test_jax_cache()
if _JAX_CACHE != "off":
    # compiled kernels persist between test runs (a rerun loads what it compiled), in a folder the CLI never reads
    jax.config.update("jax_compilation_cache_dir", _JAX_CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)


@pytest.fixture(autouse=True, scope="session")
def _test_jax_cache_for_the_cli():
    """The CLI (in process or a child) uses the tests' JAX cache, not the user's ``~/.cache/tnrnn/jax``."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TNRNN_JAX_CACHE", _JAX_CACHE)
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


@pytest.fixture
def counted(monkeypatch):
    """Count the engine calls (`tnrnn.rank.engine._compute`), made through the atlas or not."""
    from tnrnn.rank import engine

    calls = []
    real = engine._compute

    def spy(M, R, L, T, **kw):
        calls.append((M, R, L, T, kw.get("domain")))
        return real(M, R, L, T, **kw)

    monkeypatch.setattr(engine, "_compute", spy)
    return calls


def load_benchmark(name: str):
    """The module of ``benchmarks/<name>.py`` (scripts, not a package), for tests of their pure functions."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
