"""tnrnn.interop: quimb and cotengra exports contract to the RAC forward pass; tags; errors."""

import sys

import numpy as np
import pytest

import tnrnn
from tnrnn import ArgumentError
from tnrnn.build import build_network
from tnrnn.interop import INTEROP_HINT, network_operands, to_cotengra, to_quimb
from tnrnn.testing import assert_close, random_inputs, random_rac

qtn = pytest.importorskip("quimb.tensor")
ctg = pytest.importorskip("cotengra")

CASES = [(3, 2, 1, 4, 1), (2, 3, 2, 4, 2), (3, 2, 3, 5, 1), (2, 2, 2, 7, 3)]


def _assert_forward(actual, model, xs):
    """Equal to the forward pass, compared on the scale of the output (deep RAC outputs are tiny)."""
    expected = np.asarray(tnrnn.rac_forward(model, xs))
    scale = np.abs(expected).max()
    assert scale > 0
    assert_close(np.asarray(actual) / scale, expected / scale)


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
@pytest.mark.parametrize("hyper", [False, True])
@pytest.mark.parametrize("M,R,L,T,K", CASES)
def test_quimb_contraction_equals_forward(M, R, L, T, K, domain, hyper):
    model, xs = random_rac(M, R, L, K=K), random_inputs(domain, M, T)
    tn = to_quimb(model, xs, domain=domain, hyper=hyper)
    assert tn.outer_inds() == ("y",)
    _assert_forward(tn.contract(output_inds=("y",), optimize="greedy").data, model, xs)


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
@pytest.mark.parametrize("hyper", [False, True])
@pytest.mark.parametrize("M,R,L,T,K", CASES)
def test_cotengra_contraction_equals_forward(M, R, L, T, K, domain, hyper):
    model, xs = random_rac(M, R, L, K=K), random_inputs(domain, M, T)
    inputs, output, size_dict, arrays = to_cotengra(model, xs, domain=domain, hyper=hyper)
    assert output == ("y",) and len(inputs) == len(arrays)
    for idx, a in zip(inputs, arrays, strict=True):
        assert a.shape == tuple(size_dict[i] for i in idx)
    _assert_forward(ctg.array_contract(arrays, inputs, output, size_dict=size_dict, optimize="greedy"), model, xs)
    # cotengra.einsum on the same operands
    ops = [x for pair in zip(arrays, inputs, strict=True) for x in pair]
    _assert_forward(ctg.einsum(*ops, output, optimize="greedy"), model, xs)


def test_onehot_network_differs_from_forward_on_real_inputs():
    # the one-hot network collapses repeated inputs; on real inputs it is a different function (deep RAC)
    model, xs = random_rac(2, 2, 2, K=1), random_inputs("continuous", 2, 4)
    tn = to_quimb(model, xs, domain="onehot")
    y = np.asarray(tn.contract(output_inds=("y",), optimize="greedy").data)
    with pytest.raises(AssertionError):
        _assert_forward(y, model, xs)


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_quimb_tags_match_the_graph(domain):
    M, R, L, T = 2, 3, 3, 4
    model = random_rac(M, R, L, K=1)
    tn = to_quimb(model, random_inputs(domain, M, T), domain=domain)
    g = build_network(M, R, L, T, domain=domain)
    for role, tag in (("W_I", "WI"), ("W_H", "WH"), ("W_O", "WO"), ("ones", "ones"), ("input", "input")):
        assert len(tn.select_tensors(tag)) == len(g.nodes_with_role(role))
    for t in range(1, T + 1):
        expected = sum(r == "W_H" and tt == t for r, tt in zip(g.roles, g.times, strict=True))
        assert len(tn.select_tensors(["WH", f"t{t}"], which="all")) == expected
    for l in range(1, L + 1):
        expected = sum(r == "W_I" and ll == l for r, ll in zip(g.roles, g.layers, strict=True))
        assert len(tn.select_tensors(["WI", f"l{l}"], which="all")) == expected
    # every node name is a tag; every index joins at most two tensors (explicit copy tensors)
    assert "WO" in tn.tag_map and "h3_4.0" in tn.tag_map
    assert max(len(v) for v in tn.ind_map.values()) == 2


def test_onehot_copy_tensors_are_chains_of_order_three():
    model = random_rac(2, 2, 3, K=1)
    ops, _, size = network_operands(model, random_inputs("onehot", 2, 4), domain="onehot")
    copies = [(idx, a) for _, idx, a, role, *_ in ops if role == "copy"]
    assert copies and all(a.ndim == 3 for _, a in copies)
    for idx, a in copies:
        assert a.shape == tuple(size[i] for i in idx)
        assert a.sum() == a.shape[0]  # a δ tensor: ones on the diagonal only


def test_bad_arguments_raise_one_line_errors():
    model = random_rac(3, 2, 2, K=1)
    with pytest.raises(ArgumentError, match="xs="):
        to_quimb(model, np.ones((4, 2)))
    with pytest.raises(ArgumentError, match="xs="):
        to_cotengra(model, np.ones(4))
    with pytest.raises(ArgumentError, match="domain="):
        to_quimb(model, np.ones((4, 3)), domain="discrete")
    with pytest.raises(ArgumentError, match="model="):
        to_cotengra("not a model", np.ones((4, 3)))


def test_missing_extra_names_the_install_command(monkeypatch):
    """With the extra absent (a ``None`` entry in ``sys.modules`` makes its import fail), one ImportError each."""
    for name in ("quimb", "quimb.tensor", "cotengra"):
        monkeypatch.setitem(sys.modules, name, None)
    model = random_rac(2, 2, 1, K=1)
    messages = []
    for f in (to_quimb, to_cotengra):
        with pytest.raises(ImportError) as info:
            f(model, np.ones((2, 2)))
        messages.append(str(info.value))
    assert all(INTEROP_HINT in m and "\n" not in m for m in messages)
    assert "quimb" in messages[0] and "cotengra" in messages[1]
