"""The trainable form of the cells (tnrnn.cells.trainable): one registry, the trainable-only cells refused for ranks."""

import jax
import pytest

from tnrnn._types import ArgumentError
from tnrnn.cells import CELL_REGISTRY, cell_names, make_cell, trainable_cell, trainable_cell_names
from tnrnn.cells.float_rnn import RNN, ScoRNN

TRAINABLE_ONLY = [n for n in CELL_REGISTRY if not CELL_REGISTRY[n].exact_rank]


def test_trainable_only_cells_are_registered_and_kept_out_of_cell_names():
    assert set(TRAINABLE_ONLY) == {"rnn", "scornn"}
    assert not set(TRAINABLE_ONLY) & set(cell_names())
    assert set(trainable_cell_names()) == {"rac", "bilinear", "mi", "quad", "linear", "gru", "rnn", "scornn"}
    assert "lstm" in cell_names() and "lstm" not in trainable_cell_names()  # exact rank, no trainable form
    names = trainable_cell_names()
    exact = [CELL_REGISTRY[n].exact_rank for n in names]
    assert exact == sorted(exact, reverse=True)  # the cells with an exact rank first


@pytest.mark.parametrize("name", ["rnn", "scornn"])
@pytest.mark.parametrize("form", ["name", "class", "instance", "spec"])
def test_rank_requests_refuse_a_trainable_only_cell_in_one_line(name, form):
    cls = CELL_REGISTRY[name]
    cell = {"name": name, "class": cls, "instance": cls(2, 2, 1), "spec": f"{name}:x=1"}[form]
    with pytest.raises(ArgumentError) as exc:
        make_cell(cell, 2, 2, 1)
    msg = str(exc.value)
    assert "\n" not in msg and name in msg and "exact rank" in msg
    assert all(repr(n) in msg for n in cell_names())


def test_separation_rank_refuses_a_trainable_only_cell():
    from tnrnn.rank import separation_rank

    with pytest.raises(ArgumentError, match="'scornn' is trainable only"):
        separation_rank(2, 2, 1, 4, domain="onehot", cell="scornn")


def test_trainable_cell_refuses_a_cell_without_a_trainable_form():
    with pytest.raises(ArgumentError) as exc:
        trainable_cell("lstm")
    assert "lstm" in str(exc.value) and all(repr(n) in str(exc.value) for n in trainable_cell_names())
    with pytest.raises(ArgumentError, match="a trainable cell"):
        CELL_REGISTRY["lstm"].trainable_layer(2, 3, key=jax.random.key(0))


@pytest.mark.parametrize("name", trainable_cell_names())
@pytest.mark.parametrize("first", [True, False])
def test_layer_shapes_and_count_are_those_of_the_layer_made(name, first):
    cls = trainable_cell(name)
    D, R = 3, 4
    layer = cls.trainable_layer(D, R, key=jax.random.key(1), first=first)
    leaves = dict(_named_leaves(layer))
    shapes = cls.layer_param_shapes(D, R)
    assert {k: v.shape for k, v in leaves.items()} == shapes
    assert (layer.D, layer.R) == (D, R)
    size = sum(v.size for v in leaves.values())
    expected = size - (R * (R + 1) // 2 if name == "scornn" else 0)  # scoRNN's A: its free entries above the diagonal
    assert cls.layer_param_count(D, R) == expected


def _named_leaves(layer):
    out = []
    for path, leaf in jax.tree_util.tree_flatten_with_path(layer)[0]:
        keys = [getattr(p, "name", getattr(p, "key", None)) for p in path]
        out.append(([k for k in keys if isinstance(k, str)][-1], leaf))  # {'A': (A,)}: the name, not 'params'
    return out


def test_cell_train_defaults():
    assert ScoRNN.train_defaults["optimizer"] == "rmsprop" and RNN.train_defaults == {}
    from tnrnn.tasks import preset_settings

    assert preset_settings("cpu", "ses", cell="scornn")["config"].optimizer == "rmsprop"
    assert preset_settings("cpu", "ses", cell="rnn")["config"].optimizer == "adam"


def test_an_atlas_sweep_refuses_a_trainable_only_cell_before_any_work():
    import tnrnn.atlas as A

    spec = A.CellSpec(2, 2, 1, 4, "onehot", options=(("cell", "rnn"),))
    with pytest.raises(ArgumentError, match="'rnn' is trainable only"):
        A.run_sweep([spec], cache=None, progress=False)
