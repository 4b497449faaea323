"""TNGraph: structure, exports (JSON, networkx, einsum) and the ``tnrnn network`` verb."""

import json

import networkx as nx
import pytest

from tnrnn._types import ArgumentError
from tnrnn.build import build_network
from tnrnn.cli import main
from tnrnn.network import JSON_FORMAT, ROLES, TNGraph

CASES = [(2, 3, 1, 4), (2, 2, 2, 4), (3, 2, 3, 4), (2, 3, 2, 5)]


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
@pytest.mark.parametrize("M,R,L,T", CASES)
def test_json_round_trip_and_determinism(M, R, L, T, domain):
    g = build_network(M, R, L, T, domain=domain)
    text = g.to_json()
    assert json.loads(text)["format"] == JSON_FORMAT
    back = TNGraph.from_json(text)
    assert back == g
    assert back.to_json() == text
    # two compiles give identical JSON
    assert build_network(M, R, L, T, domain=domain).to_json() == text


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_structure_is_consistent(domain):
    g = build_network(2, 3, 2, 6, domain=domain).check()
    assert len(set(g.names)) == g.n_nodes
    assert set(g.roles) <= set(ROLES)
    assert g.output == ("y",)
    # every index is carried by one node (open) or two (an edge)
    carriers = {}
    for idx in g.indices:
        for i in idx:
            carriers[i] = carriers.get(i, 0) + 1
    assert set(carriers.values()) <= {1, 2}
    assert [i for i, c in carriers.items() if c == 1] == ["y"]
    assert g.n_edges == sum(c == 2 for c in carriers.values())
    # copy nodes have legs of one dimension
    for name in g.nodes_with_role("copy"):
        k = g.node_id[name]
        assert len({g.size_dict[i] for i in g.indices[k]}) == 1


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_networkx_export(domain):
    g = build_network(2, 3, 3, 4, domain=domain)
    G = g.to_networkx()
    assert G.number_of_nodes() == g.n_nodes
    assert G.number_of_edges() == g.n_edges
    assert nx.is_tree(nx.Graph(G)) == g.is_tree() == (domain == "continuous")
    for u, v, data in G.edges(data=True):
        assert data["dim"] == g.size_dict[data["index"]]
        assert set(g.edge_nodes(data["index"])) == {u, v}
    assert G.nodes["WO"]["open"] == ("y",)
    assert G.nodes["WO"]["role"] == "W_O"


def test_einsum_equation_operands():
    g = build_network(2, 2, 2, 4, domain="onehot")
    eq, names = g.equation(hyper=True)
    lhs, rhs = eq.split("->")
    assert len(lhs.split(",")) == len(names) == g.n_nodes - len(g.nodes_with_role("copy"))
    assert len(rhs) == 1  # only the class leg y
    eq_dense, names_dense = g.equation(hyper=False)
    assert len(names_dense) == g.n_nodes
    # the tensor view of the one-hot network has T open legs of dim M (plus y)
    inputs, output, _ = g.tensor_view().einsum_inputs(hyper=False)
    assert output[:-1] == tuple(f"x{t}" for t in range(1, 5))
    assert all(g.size_dict[i] == 2 for i in output[:-1])


def test_copy_groups_merge_hadamard_legs():
    g = build_network(2, 3, 1, 3, domain="continuous")
    rep = g.copy_groups()
    # one group per Hadamard copy tensor: (g, i, h) of h1_t.0 collapse to one representative
    for t in (1, 2, 3):
        assert rep[f"g1_{t}.0"] == rep[f"i1_{t}.0"] == rep[f"h1_{t}.0"]
    assert len({rep[f"h1_{t}.0"] for t in (1, 2, 3)}) == 3


def test_bad_graphs_are_rejected():
    g = build_network(2, 2, 1, 2, domain="continuous")
    data = g.to_dict()
    data["format"] = "other"
    with pytest.raises(ArgumentError) as exc:
        TNGraph.from_dict(data)
    assert exc.value.name == "format"
    data = g.to_dict()
    data["nodes"][1]["indices"].append("y")  # 'y' now carried by two nodes but listed as open
    with pytest.raises(ArgumentError):
        TNGraph.from_dict(data)
    with pytest.raises(ArgumentError) as exc:
        g.edge_nodes("nope")
    assert exc.value.name == "index"


def test_cli_network_json(capsys, tmp_path):
    out = tmp_path / "g.json"
    assert main(["network", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--json", "--out", str(out)]) == 0
    res = json.loads(capsys.readouterr().out)
    for key in ("nodes", "edges", "copy_tensors", "input_copies", "is_tree"):
        assert key in res
    g = TNGraph.from_json(out.read_text())
    assert (res["nodes"], res["edges"], res["is_tree"]) == (g.n_nodes, g.n_edges, True)


def test_cli_network_bad_domain(capsys):
    assert main(["network", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--domain", "bits", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "domain" in err and "bits" in err and "onehot" in err


def test_components_match_networkx():
    import numpy as np

    from tnrnn.network import components
    from tnrnn.testing import rng

    gen = rng(3)
    for n, m in ((1, 0), (6, 3), (12, 9), (20, 25)):
        u, v = gen.integers(0, n, size=(2, m)) if m else (np.zeros(0, int), np.zeros(0, int))
        count, labels = components(n, u, v)
        nxg = nx.Graph()
        nxg.add_nodes_from(range(n))
        nxg.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        groups = {frozenset(c) for c in nx.connected_components(nxg)}
        assert count == len(groups)
        assert {frozenset(np.flatnonzero(labels == c).tolist()) for c in set(labels.tolist())} == groups
    assert components(0, np.zeros(0, int), np.zeros(0, int))[0] == 0


def test_contraction_plan_equation_is_the_network_equation():
    pytest.importorskip("jax")
    from tnrnn.contract import plan_contraction

    for domain in ("continuous", "onehot"):
        g = build_network(2, 3, 2, 4, domain=domain)
        assert plan_contraction(g, inputs=True).equation == g.equation(hyper=True)[0]
