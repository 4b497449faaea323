"""The RAC -> tensor network compiler: counts against the closed forms of notes §4.3, structure, arrays."""

from math import comb

import jax
import pytest

from tnrnn._types import ArgumentError
from tnrnn.build import build_network, closed_form_counts, compile_rac, input_copy_counts
from tnrnn.rac import init_rac

# notes §4.3 count table (facts derived there): L -> T -> (input copies, δ, W^H, ones, nodes)
NOTES_TABLE = {
    1: {2: (2, 2, 1, 1, 9), 4: (4, 4, 3, 1, 17), 6: (6, 6, 5, 1, 25), 8: (8, 8, 7, 1, 33)},
    2: {2: (3, 5, 2, 3, 19), 4: (10, 14, 9, 5, 53), 6: (21, 27, 20, 7, 103), 8: (36, 44, 35, 9, 169)},
    3: {2: (4, 9, 3, 6, 32), 4: (20, 34, 19, 15, 123), 6: (56, 83, 55, 28, 306), 8: (120, 164, 119, 45, 613)},
}


def _role_count(g, role, **tags):
    out = 0
    for k, r in enumerate(g.roles):
        if r == role and all(getattr(g, attr + "s")[k] == v for attr, v in tags.items()):
            out += 1
    return out


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("T", range(1, 9))
def test_continuous_counts_match_closed_forms(L, T):
    g = build_network(2, 3, L, T, domain="continuous")
    inputs = comb(T + L - 1, L)
    had = comb(T + L, L) - 1
    ones = comb(T - 1 + L, L - 1)
    assert _role_count(g, "input") == inputs
    assert _role_count(g, "copy") == had
    assert _role_count(g, "W_I") == had
    assert _role_count(g, "ones") == ones
    assert _role_count(g, "W_H") == had - ones
    assert _role_count(g, "W_O") == 1
    assert g.n_nodes == inputs + 3 * had + 1
    assert g.n_edges == g.n_nodes - 1
    assert g.is_tree()
    # copies of x^t: n_t = C(T-t+L-1, L-1); copies of h^{t,l}: N(t,l) = C(T-t+L-l, L-l)
    for t in range(1, T + 1):
        assert _role_count(g, "input", time=t) == comb(T - t + L - 1, L - 1)
        for l in range(1, L + 1):
            assert _role_count(g, "copy", time=t, layer=l) == comb(T - t + L - l, L - l)
    s = g.summary()
    assert (s["copy_tensors"], s["input_copies"], s["is_tree"]) == (had, inputs, True)
    if L in NOTES_TABLE and T in NOTES_TABLE[L]:
        assert (inputs, had, had - ones, ones, g.n_nodes) == NOTES_TABLE[L][T]


@pytest.mark.parametrize("L", [1, 2, 3, 4])
@pytest.mark.parametrize("T", range(1, 9))
def test_onehot_counts_and_open_legs(L, T):
    M = 3
    g = build_network(M, 2, L, T, domain="onehot")
    n = [comb(T - t + L - 1, L - 1) for t in range(1, T + 1)]
    joined = sum(k >= 2 for k in n)
    had = comb(T + L, L) - 1
    assert _role_count(g, "input") == T
    assert _role_count(g, "copy") == had + joined
    assert _role_count(g, "W_I", layer=1) == comb(T + L - 1, L)
    assert g.n_nodes == 3 * had + 1 + T + joined
    assert g.is_tree() == (joined == 0)
    view = g.tensor_view()
    assert view.output == tuple(f"x{t}" for t in range(1, T + 1)) + ("y",)
    assert [view.size_dict[i] for i in view.output[:-1]] == [M] * T
    # the copy tensor of x^t has one leg per copy plus the open leg
    for t in range(1, T + 1):
        if n[t - 1] >= 2:
            assert len(g.indices[g.node_id[f"dx{t}"]]) == n[t - 1] + 1
    assert closed_form_counts(L=L, T=T, domain="onehot")["nodes"] == g.n_nodes
    assert closed_form_counts(L=L, T=T, domain="onehot")["edges"] == g.n_edges


def test_bond_dimensions():
    M, R, K = 3, 2, 4
    g = build_network(M, R, 2, 5, K=K, domain="continuous")
    for u, v, index in g.edges():
        roles = {g.roles[g.node_id[u]], g.roles[g.node_id[v]]}
        assert g.size_dict[index] == (M if "input" in roles else R)
    assert g.size_dict["y"] == K


def test_shallow_is_an_mps_chain():
    g = build_network(2, 3, 1, 6, domain="continuous")
    assert g.nodes_with_role("copy") == tuple(f"h1_{t}.0" for t in range(6, 0, -1))
    assert input_copy_counts(6, 1) == (1,) * 6
    assert g.nodes_with_role("ones") == ("one1.0",)


def test_large_structure_only_build():
    g = build_network(2, 2, 2, 256, domain="continuous")  # 132 353 nodes, no arrays
    assert g.n_nodes == comb(257, 2) + 3 * (comb(258, 2) - 1) + 1
    assert g.n_edges == g.n_nodes - 1


@pytest.mark.slow
def test_large_depth3_build():
    g = build_network(2, 2, 3, 96, domain="continuous")
    assert g.n_nodes == comb(98, 3) + 3 * (comb(99, 3) - 1) + 1
    assert g.is_tree()


def test_compile_rac_keeps_structure_apart_from_arrays():
    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(0), K=2)
    g, arrays = compile_rac(model, 4)
    assert g == build_network(2, 3, 2, 4, K=2, domain="continuous")
    assert g.to_json() == build_network(2, 3, 2, 4, K=2, domain="continuous").to_json()  # the graph holds no arrays
    weight_nodes = [n for n, r in zip(g.names, g.roles, strict=True) if r in ("W_I", "W_H", "W_O", "ones")]
    assert sorted(arrays) == sorted(weight_nodes)
    for name, arr in arrays.items():
        k = g.node_id[name]
        assert tuple(arr.shape) == tuple(g.size_dict[i] for i in g.indices[k])
    assert arrays["WO"] is model.W_O
    assert arrays["WI2_4.0"] is model.W_I[1]


@pytest.mark.parametrize(
    "kwargs,name",
    [({"domain": "bits"}, "domain"), ({"K": 0, "domain": "continuous"}, "K")],
)
def test_bad_arguments(kwargs, name):
    with pytest.raises(ArgumentError) as exc:
        build_network(2, 2, 2, 4, **kwargs)
    assert exc.value.name == name
    assert "\n" not in str(exc.value)


def test_bad_sizes():
    with pytest.raises(ArgumentError) as exc:
        build_network(2, 0, 2, 4, domain="continuous")
    assert exc.value.name == "R"
    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(0))
    g = build_network(2, 3, 3, 4, domain="continuous")
    from tnrnn.build import network_arrays

    with pytest.raises(ArgumentError) as exc:
        network_arrays(g, model)
    assert exc.value.name == "model"


# --- size refusal from the closed forms -------------------------------------------------------------------------


@pytest.mark.parametrize(("L", "T", "name"), [(2, 10**7, "T"), (1000, 1000, "T"), (1000, 100, "L")])
def test_huge_networks_are_refused_before_building(L, T, name):
    import time

    from tnrnn._types import MemoryRefusal

    t0 = time.perf_counter()
    for domain in ("continuous", "onehot"):
        with pytest.raises(MemoryRefusal, match="nodes of the") as info:
            build_network(2, 2, L, T, domain=domain)
        assert info.value.name == name
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize(("L", "T"), [(1, 5), (2, 5), (3, 4), (2, 1), (4, 3)])
def test_onehot_joined_count_matches_the_built_network(L, T):
    graph = build_network(2, 2, L, T, domain="onehot")
    counts = closed_form_counts(L=L, T=T, domain="onehot")
    assert counts["nodes"] == graph.n_nodes and counts["edges"] == graph.n_edges
    assert counts["copy_tensors"] == sum(r == "copy" for r in graph.roles)


# --- one function per concept: the cell-specific names of version 1 are deprecated aliases ------------------------


def test_version_1_cell_network_names_warn_and_agree():
    import numpy as np

    from tnrnn import build
    from tnrnn.cells import make_cell
    from tnrnn.contract import cell_network_forward, network_forward
    from tnrnn.cuts import bounds_with_min_cuts, cell_min_cuts

    cell = make_cell("mi", 2, 3, 2)
    params = cell.make_params(**cell._arrays(lambda s: np.random.default_rng(0).standard_normal(s)))
    graph = build_network(2, 3, 2, 4, domain="onehot", cell="mi")
    with pytest.warns(DeprecationWarning, match="build_cell_network"):
        assert build.build_cell_network(cell, T=4, domain="onehot") == graph
    with pytest.warns(DeprecationWarning, match="build_cell_network"):
        assert build.build_cell_network("mi", 2, 3, 2, 4, domain="onehot") == graph
    with pytest.warns(DeprecationWarning, match="cell_network_size"):
        assert build.cell_network_size(cell, 4, domain="onehot") == graph.n_nodes
    with pytest.warns(DeprecationWarning, match="refuse_large_cell_network"):
        assert build.refuse_large_cell_network(cell, 4, domain="onehot") == graph.n_nodes
    with pytest.warns(DeprecationWarning, match=r"refuse_large_network\(L, T\)"):
        assert build.refuse_large_network(2, 6, domain="onehot") == build.network_size(1, 1, 2, 6, domain="onehot")
    arrays = build.network_arrays(graph, params)
    with pytest.warns(DeprecationWarning, match="cell_network_arrays"):
        old = build.cell_network_arrays(graph, cell, params)
    assert old.keys() == arrays.keys() and all(np.array_equal(old[k], arrays[k]) for k in arrays)
    xs = np.eye(2)[[0, 1, 1, 0]]
    with pytest.warns(DeprecationWarning, match="cell_network_forward"):
        f_old = cell_network_forward(cell, 4, domain="onehot", jit=False)
    f_new = network_forward(4, domain="onehot", jit=False, cell=cell)
    assert np.array_equal(np.asarray(f_old(params, xs)), np.asarray(f_new(params, xs)))
    with pytest.warns(DeprecationWarning, match="cell_min_cuts"):
        assert cell_min_cuts("mi", 2, 2, 1, 4) == bounds_with_min_cuts(2, 2, 1, 4, cell="mi")


def test_the_rac_goes_through_the_same_functions_as_any_cell():
    """The RAC's network, its size and its arrays come from the same entry points as every other cell's."""
    from tnrnn.build import network_arrays, network_size
    from tnrnn.cells import Rac

    model = init_rac(2, 3, 2, key=jax.random.PRNGKey(1))
    for domain in ("continuous", "onehot"):
        graph = build_network(2, 3, 2, 5, domain=domain, cell=Rac(2, 3, 2))
        assert graph == build_network(2, 3, 2, 5, domain=domain)
        assert (
            network_size(2, 3, 2, 5, domain=domain)
            == graph.n_nodes
            == closed_form_counts(L=2, T=5, domain=domain)["nodes"]
        )
        assert (
            network_arrays(graph, model, "rac").keys()
            == network_arrays(graph, model).keys()
            == compile_rac(model, 5, domain=domain)[1].keys()
        )
    with pytest.raises(ArgumentError, match="'linear' has no tensor network") as info:
        network_size(2, 3, 2, 5, cell="linear", domain="continuous")
    assert "rac" in str(info.value) and "bilinear" in str(info.value)  # the cells that have one, from the registry


@pytest.mark.parametrize(
    "call",
    [
        lambda: __import__("tnrnn.build").build.build_network(2, 2, 2, 4),
        lambda: __import__("tnrnn.build").build.closed_form_counts(L=2, T=4),
        lambda: __import__("tnrnn.cuts").cuts.start_end_min_cut(2, 2, 2, 4),
    ],
)
def test_an_unnamed_domain_warns_and_means_continuous(call):
    """The domain changes the answer, so it is named: omitted, it is 'continuous' with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning, match="domain not given, 'continuous' assumed"):
        got = call()
    assert got is not None


def test_closed_form_counts_take_the_sizes_by_name_and_the_old_order_with_a_warning():
    new = closed_form_counts(L=3, T=5, domain="continuous")
    with pytest.warns(DeprecationWarning, match=r"closed_form_counts\(T, L\)"):
        old = closed_form_counts(5, 3, domain="continuous")
    assert new == old and new["nodes"] == build_network(2, 2, 3, 5, domain="continuous").n_nodes
    with pytest.raises(ArgumentError, match="^T=None"):
        closed_form_counts(L=3, domain="continuous")
