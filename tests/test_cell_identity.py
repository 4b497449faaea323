"""A stored rank is keyed by the cell's definition (`tnrnn.cells.cell_identity`), not only by its name.

The case of issue 23: a cell ``my-cell`` with a product step is computed through the atlas, then ``my-cell`` is
redefined with an additive step; the second call must give the new cell's rank, not the stored one.
"""

import dataclasses
import importlib
import os
import subprocess
import sys
import textwrap
import warnings

import pytest

from tnrnn.cells import CELL_REGISTRY, Cell, cell_identity, register_cell
from tnrnn.rank import separation_rank
from tnrnn.rank import store as S

SIZES = dict(M=2, R=2, L=2, T=4, domain="continuous")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclasses.dataclass(frozen=True)
class ProductCell(Cell):
    name = "my-cell"

    def param_shapes(self):
        R, L = self.R, self.L
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, self.M if l == 0 else R) for l in range(L)),
            "W_O": (self.K, R),
        }

    def initial_carry(self, params, ar, like):
        return tuple(ar.ones(self.R, like) for _ in range(self.L))

    def step(self, params, carry, x, ar):
        v, new = x, []
        for l, u in enumerate(carry):
            v = ar.mul(ar.matvec(params["W_H"][l], u), ar.matvec(params["W_I"][l], v))
            new.append(v)
        return tuple(new), v

    def readout(self, params, h, ar):
        return ar.matvec(params["W_O"], h)


@dataclasses.dataclass(frozen=True)
class AdditiveCell(ProductCell):
    name = "my-cell"

    def step(self, params, carry, x, ar):
        v, new = x, []
        for l, u in enumerate(carry):
            v = ar.add(ar.matvec(params["W_H"][l], u), ar.matvec(params["W_I"][l], v))
            new.append(v)
        return tuple(new), v


@pytest.fixture
def registry():
    """Restore the cell registry after a test registers cells of its own."""
    saved = CELL_REGISTRY.snapshot()
    yield
    CELL_REGISTRY.restore(saved)


def _rank(cell, **kw):
    return separation_rank(**SIZES, cell=cell, **kw)


def test_redefined_cell_is_computed_anew(tmp_path, registry):
    path = tmp_path / "a.sqlite"
    register_cell(ProductCell)
    first = _rank("my-cell", cache=path)
    assert first == _rank("my-cell", cache=path) == _rank(ProductCell(2, 2, 2))  # a hit, and the product's rank
    register_cell(AdditiveCell)  # the same name, another definition
    second = _rank("my-cell", cache=path)
    fresh = _rank(AdditiveCell(2, 2, 2))
    assert (second.rank, second.status) == (fresh.rank, fresh.status)
    assert second.rank != first.rank  # the case is a real test: the two definitions differ in rank
    with S.Atlas(path) as atlas:
        rows = atlas.rows(cell="my-cell")  # a name matches every version of the cell
        assert sorted(r["cell"] for r in rows) == sorted([cell_identity(ProductCell), cell_identity(AdditiveCell)])
        assert len(atlas.rows(cell=cell_identity(AdditiveCell))) == 1


def test_builtin_cells_keep_their_name_as_key():
    # rows of the toolkit's own cells stored before identities existed stay valid: the key's cell is the name
    for name in ("rac", "bilinear", "mi", "quad", "linear"):
        assert cell_identity(CELL_REGISTRY[name]) == name
        assert S.make_key(2, 2, 2, 4, domain="onehot", cell=name)["cell"] == name


def _exec_cell(module: str, body: str) -> type:
    """A cell class executed in a namespace named ``module`` (as a script or a notebook defines it)."""
    src = textwrap.dedent(
        """
        import dataclasses
        from tnrnn.cells import Cell

        @dataclasses.dataclass(frozen=True)
        class NotebookCell(Cell):
            name = "nb-cell"
        """
    )
    ns = {"__name__": module}
    exec(src + textwrap.indent(textwrap.dedent(body), "    "), ns)  # noqa: S102 - the test's own source
    cls = ns["NotebookCell"]
    for attr in ("param_shapes", "initial_carry", "step", "readout"):
        setattr(cls, attr, getattr(ProductCell, attr))
    return cls


def test_main_cell_without_version_is_computed_with_one_warning(tmp_path, registry):
    cls = register_cell(_exec_cell("__main__", "pass\n"))
    assert cell_identity(cls) is None
    path = tmp_path / "a.sqlite"
    S._WARNED.clear()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        a, b = _rank("nb-cell", cache=path), _rank("nb-cell", cache=path)
    messages = [str(w.message) for w in seen if issubclass(w.category, S.AtlasWarning)]
    assert len(messages) == 1 and "\n" not in messages[0], messages
    assert "'nb-cell'" in messages[0] and "__main__" in messages[0] and "version" in messages[0]
    assert a == b and a.rank == _rank(ProductCell(2, 2, 2)).rank
    with S.Atlas(path) as atlas:
        assert len(atlas) == 0  # computed, not stored
    with pytest.raises(S.ArgumentError, match="version"):
        S.make_key(2, 2, 2, 4, domain="onehot", cell="nb-cell")


def test_declared_version_keys_a_main_cell(tmp_path, registry):
    cls = register_cell(_exec_cell("__main__", "version = 3\n"))
    assert cell_identity(cls) == "nb-cell@v=3"
    path = tmp_path / "a.sqlite"
    first = _rank("nb-cell", cache=path)
    with S.Atlas(path) as atlas:
        assert [r["cell"] for r in atlas.rows()] == ["nb-cell@v=3"]
    assert _rank("nb-cell", cache=path) == first


def test_class_made_in_a_function_is_not_identified():
    def make(k):
        @dataclasses.dataclass(frozen=True)
        class Local(ProductCell):
            name = "local"

            def readout(self, params, h, ar):
                return ar.scale(k, ar.matvec(params["W_O"], h))

        return Local

    assert cell_identity(make(1)) is None  # k is not in the class's source: no fingerprint may stand for it


_MODULE = """
import dataclasses
from tnrnn.cells import Cell

@dataclasses.dataclass(frozen=True)
class Mine(Cell):
    name = "mine"
    def step(self, params, carry, x, ar):
        return carry, ar.{op}(x, x) if x in {{"a", "b", "c"}} else x
{extra}
"""


def _import(tmp_path, monkeypatch, name, text):
    (tmp_path / f"{name}.py").write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def test_fingerprint_follows_the_loaded_code(tmp_path, monkeypatch):
    mod = _import(tmp_path, monkeypatch, "cellmod", _MODULE.format(op="mul", extra=""))
    ident = cell_identity(mod.Mine)
    assert ident.startswith("mine@src=") and cell_identity(mod.Mine(1, 1, 1)) == ident
    other = _import(tmp_path, monkeypatch, "cellmod", _MODULE.format(op="add", extra=""))
    assert cell_identity(other.Mine) not in (None, ident)  # another step, another key
    # the same class name defined twice in one module: the source found is the first's, the code the second's
    twice = _MODULE.format(op="mul", extra=_MODULE.format(op="add", extra="").split("\n", 3)[3])
    mod2 = _import(tmp_path, monkeypatch, "cellmod", twice)
    assert cell_identity(mod2.Mine) not in (None, ident)


def test_fingerprint_is_stable_across_processes(tmp_path, monkeypatch):
    mod = _import(tmp_path, monkeypatch, "cellmod_d", _MODULE.format(op="mul", extra=""))
    code = "import cellmod_d; from tnrnn.cells import cell_identity; print(cell_identity(cellmod_d.Mine))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), ROOT]), "PYTHONHASHSEED": "random"}
    for _ in range(2):  # string hashing differs between the runs; the set literal's constant must not matter
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == cell_identity(mod.Mine)
