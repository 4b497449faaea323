"""Min-cut bounds: closed forms, engine agreement, certificates, the rank sandwich and the ``cut`` verb."""

import itertools
import json
import math

import pytest

from tnrnn._types import ArgumentError, parse_partition
from tnrnn.build import build_network
from tnrnn.cli import main
from tnrnn.cuts import ENGINES, CutResult, cut_bound, min_cut, separates, start_end_min_cut
from tnrnn.testing import random_partition, rng


def check_certificate(graph, res: CutResult, partition="start-end"):
    """Recompute the bound from the cut and check that the cut separates the two sides."""
    assert res.bound == cut_bound(graph, res.cut_edges, res.cut_copies)
    prod = 1
    for index in res.cut_edges:
        prod *= graph.size_dict[index]
    for name in res.cut_copies:
        prod *= graph.size_dict[graph.indices[graph.node_id[name]][0]]
    assert res.bound == prod
    assert separates(graph, partition, res.cut_edges, res.cut_copies)
    assert _separates_by_reachability(graph, partition, res.cut_edges, res.cut_copies)
    assert res.log2_bound == pytest.approx(math.log2(res.bound))
    A, B = res.sides
    assert not set(A) & set(B)
    assert len(A) + len(B) + len(res.cut_copies) == graph.n_nodes
    part = parse_partition(partition, graph.meta["T"])
    for name in graph.input_nodes:
        t = graph.times[graph.node_id[name]]
        assert name in (A if t in part.A else B)


def _separates_by_reachability(graph, partition, cut_edges, cut_copies) -> bool:
    """Independent of the library: networkx reachability after removing the cut bonds and copy nodes."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(graph.names)
    holders: dict[str, list[str]] = {}
    for name, idx in zip(graph.names, graph.indices, strict=True):
        for i in idx:
            holders.setdefault(i, []).append(name)
    removed = set(cut_edges)
    for i, names in holders.items():
        if i in removed:
            continue
        for a in names[1:]:  # an index on several nodes joins them all
            g.add_edge(names[0], a)
    g.remove_nodes_from(cut_copies)
    part = parse_partition(partition, graph.meta["T"])
    side = {name: graph.times[graph.node_id[name]] in part.A for name in graph.input_nodes}
    for comp in nx.connected_components(g):
        if len({side[n] for n in comp if n in side}) > 1:
            return False
    return True


def test_reachability_check_can_fail():
    g = build_network(2, 2, 2, 4, domain="continuous")
    assert not _separates_by_reachability(g, "start-end", (), ())
    res = min_cut(g, "start-end")
    assert _separates_by_reachability(g, "start-end", res.cut_edges, res.cut_copies)
    # a minimum cut of bonds of size 2 has no redundant bond: without any one of them the sides meet again
    assert res.cut_edges and not res.cut_copies
    for k in range(len(res.cut_edges)):
        fewer = res.cut_edges[:k] + res.cut_edges[k + 1 :]
        assert not _separates_by_reachability(g, "start-end", fewer, res.cut_copies)


@pytest.mark.parametrize("M", range(1, 6))
@pytest.mark.parametrize("R", range(1, 6))
def test_shallow_min_cut_is_min_R_M_half(M, R):
    # notes §4.2 / Theorem 1(1): rank <= min(R, M^{T/2}) through the MPS
    for T in (2, 4, 6, 8, 10):
        for domain in ("continuous", "onehot"):
            g = build_network(M, R, 1, T, domain=domain)
            res = min_cut(g)
            assert res.bound == min(R, M ** (T // 2))
            assert res.exact
            check_certificate(g, res)


@pytest.mark.parametrize("M,R", [(2, 2), (3, 2), (3, 3), (4, 2), (4, 3), (5, 4)])
@pytest.mark.parametrize("T", [4, 6, 8, 10])
def test_depth2_min_cut(M, R, T):
    # notes §4.4: continuous depth 2 with M >= R cuts R^{T/2+1}; the one-hot network reaches M^{T/2} at most
    g = build_network(M, R, 2, T, domain="continuous")
    res = min_cut(g)
    assert res.bound == R ** (T // 2 + 1)
    check_certificate(g, res)
    g1 = build_network(M, R, 2, T, domain="onehot")
    res1 = min_cut(g1)
    assert res1.bound <= M ** (T // 2)
    assert res1.bound <= res.bound
    check_certificate(g1, res1)


# notes §7.3, TN min-cut column (facts derived there), continuous network: (L, M, R) -> T = 2/4/6/8
NOTES_MIN_CUT = {
    (2, 2, 2): (2, 8, 16, 32),
    (2, 2, 3): (2, 8, 54, 162),
    (2, 3, 4): (3, 27, 192, 768),
    (3, 2, 2): (2, 16, 512, 16384),
    (3, 2, 3): (2, 16, 1024, 419904),
    (3, 3, 3): (3, 81, 19683, 4782969),
    (3, 3, 4): (3, 81, 34992, 47775744),
}


@pytest.mark.parametrize("key", sorted(NOTES_MIN_CUT))
def test_notes_min_cut_column(key):
    L, M, R = key
    for T, expected in zip((2, 4, 6, 8), NOTES_MIN_CUT[key], strict=True):
        res = start_end_min_cut(M, R, L, T, domain="continuous")
        assert res.bound == expected
        assert res.exact


def _sweep(n, seed):
    gen = rng(seed)
    for _ in range(n):
        L = int(gen.integers(1, 4))
        M, R = (int(v) for v in gen.integers(2, 5, size=2))
        T = int(gen.integers(2, 9))
        yield M, R, L, T, random_partition(T, gen)


@pytest.mark.parametrize("case", list(_sweep(25, seed=3)))
def test_engines_agree_on_seeded_sweep(case):
    M, R, L, T, partition = case
    for domain in ("continuous", "onehot"):
        g = build_network(M, R, L, T, domain=domain)
        engines = ["networkx", "scipy"] + (["tree"] if g.is_tree() else [])
        results = [min_cut(g, partition, engine=e) for e in engines]
        assert len({r.bound for r in results}) == 1, [(r.engine, r.bound) for r in results]
        for r in results:
            check_certificate(g, r, partition)
            # exact means: no integer product lies between the proven floor bound / 2^slack and the bound
            floor = math.ceil(r.bound / 2**r.log2_slack) if r.log2_slack else r.bound
            assert r.log2_slack >= 0 and r.exact == (floor == r.bound), (r.bound, r.log2_slack, r.exact)
        if domain == "onehot":
            # cutting every input leg of the smaller side costs M^{|side|}
            assert results[0].bound <= M ** min(len(partition[0]), len(partition[1]))


def test_copy_tensor_cut_through_reaches_alphabet_bound():
    # with M < R the one-hot cut goes through the input copy tensors dx{t}, at cost M each
    g = build_network(2, 4, 2, 8, domain="onehot")
    res = min_cut(g)
    assert res.bound == 2**4
    check_certificate(g, res)
    cont = min_cut(build_network(2, 4, 2, 8, domain="continuous"))
    assert cont.bound == 512  # notes §7.3 (L=2, M=2, R=4, T=8)


def test_min_cut_is_minimal_on_small_networks_by_brute_force():
    # exhaustive check: no set of edges / copy nodes that separates is cheaper than the min-cut
    for M, R, L, T, domain in [(2, 3, 1, 4, "continuous"), (3, 2, 2, 2, "onehot"), (2, 2, 2, 2, "continuous")]:
        g = build_network(M, R, L, T, domain=domain)
        res = min_cut(g)
        items = [("e", i) for i in g.edge_indices] + [("c", n) for n in g.nodes_with_role("copy")]
        best = None
        for k in range(len(items) + 1):
            for combo in itertools.combinations(items, k):
                edges = [n for kind, n in combo if kind == "e"]
                copies = [n for kind, n in combo if kind == "c"]
                b = cut_bound(g, edges, copies)
                if (best is None or b < best) and separates(g, "start-end", edges, copies):
                    best = b
            if best is not None and best <= res.bound and k > math.log2(max(best, 2)) + 1:
                break
        assert best == res.bound


def _sandwich_cases(full):
    for L, M, R in itertools.product((1, 2, 3), (2, 3), (2, 3)):
        for T in (2, 4, 6, 8):
            for domain in ("onehot", "continuous"):
                heavy = domain == "continuous" and L == 3 and T >= 6 and M * R >= 6
                if heavy and (not full or (M, R, T) == (3, 3, 8)):
                    continue  # notes §7.3: (3,3,3,8) continuous not computed
                yield M, R, L, T, domain


SANDWICH = list(_sandwich_cases(full=True))
DEFAULT_SANDWICH = [c for k, c in enumerate(_sandwich_cases(full=False)) if k % 3 == 0]


def _sandwich(M, R, L, T, domain, partition="start-end"):
    from tnrnn.rank import separation_rank

    rank = separation_rank(M, R, L, T, domain=domain, partition=partition, seed=0).rank
    cont = start_end_min_cut(M, R, L, T, domain="continuous", partition=partition).bound
    cut = start_end_min_cut(M, R, L, T, domain=domain, partition=partition).bound
    assert rank <= cut <= cont


@pytest.mark.parametrize("case", DEFAULT_SANDWICH)
def test_exact_rank_below_min_cut(case):
    _sandwich(*case)


@pytest.mark.parametrize("case", [(2, 3, 2, 6, "onehot"), (3, 2, 2, 6, "continuous"), (2, 2, 3, 4, "onehot")])
def test_exact_rank_below_min_cut_interleaved(case):
    _sandwich(*case, partition="interleaved")


@pytest.mark.slow
@pytest.mark.parametrize("case", SANDWICH)
def test_exact_rank_below_min_cut_full_sweep(case):
    _sandwich(*case)


@pytest.mark.slow
def test_engines_agree_on_large_network():
    g = build_network(2, 2, 2, 200, domain="continuous")
    bounds = {e: min_cut(g, engine=e).bound for e in ("networkx", "scipy", "tree")}
    assert set(bounds.values()) == {2**101}


@pytest.mark.parametrize(
    "partition,name",
    [("1,2;", "partition"), ("1,2;3,9", "partition"), ("1,2;2,3,4", "partition"), ("odd", "partition")],
)
def test_bad_partitions(partition, name):
    g = build_network(2, 2, 2, 4, domain="continuous")
    with pytest.raises(ArgumentError) as exc:
        min_cut(g, partition)
    assert exc.value.name == name
    assert str(exc.value).count("\n") == 0 and partition in str(exc.value)


def test_bad_engine_and_domain():
    g = build_network(2, 2, 2, 4, domain="onehot")
    with pytest.raises(ArgumentError) as exc:
        min_cut(g, engine="magic")
    assert exc.value.name == "engine" and "magic" in str(exc.value)
    assert all(repr(e) in exc.value.allowed for e in ENGINES)
    with pytest.raises(ArgumentError) as exc:
        min_cut(g, engine="tree")  # the one-hot network has cycles
    assert exc.value.name == "engine"
    with pytest.raises(ArgumentError) as exc:
        start_end_min_cut(2, 2, 2, 4, domain="bits")
    assert exc.value.name == "domain" and "onehot" in exc.value.allowed
    with pytest.raises(ArgumentError) as exc:
        start_end_min_cut(2, 2, 2, 5, domain="continuous")  # start-end needs an even T
    assert exc.value.name == "T"


def test_cli_cut_json(capsys):
    argv = ["cut", "--M", "2", "--R", "2", "--L", "3", "--T", "4", "--json"]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    for key in ("bound", "log2_bound", "cut_edges", "nodes", "edges"):
        assert key in res
    assert isinstance(res["bound"], int) and res["bound"] == 16  # notes §7.1
    g = build_network(2, 2, 3, 4, domain="continuous")
    assert res["bound"] == cut_bound(g, res["cut_edges"], res["cut_copies"])
    assert (res["nodes"], res["edges"]) == (g.n_nodes, g.n_edges)
    assert main(argv[:-1] + ["--domain", "onehot", "--partition", "1,3;2,4", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["bound"] <= 4


def test_cli_cut_bad_partition(capsys):
    assert main(["cut", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--partition", "1;7", "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "partition" in err and "1;7" in err


def test_cli_bounds_has_min_cut(capsys):
    assert main(["bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["min_cut"] == 8 and res["min_cut_onehot"] == 4  # notes §7.1


# --- validation, huge bonds, sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize("graph", ["a graph", None, {"nodes": []}, 3])
def test_min_cut_refuses_non_graphs(graph):
    with pytest.raises(ArgumentError) as info:
        min_cut(graph)
    assert info.value.name == "graph"


def test_min_cut_refuses_a_networkx_graph():
    import networkx as nx

    with pytest.raises(ArgumentError, match="TNGraph"):
        min_cut(nx.path_graph(4))


@pytest.mark.parametrize("R", [10**18, 2**62, 3**39])
def test_huge_bond_dimensions_do_not_overflow_the_flow_engines(R):
    # shallow: min(R, M^{T/2}) (Theorem 1(1) / notes §4.4); every engine agrees on deep ones
    assert start_end_min_cut(2, R, 1, 8, domain="continuous").bound == min(R, 2**4)
    assert start_end_min_cut(5, R, 1, 4, domain="onehot", engine="scipy").bound == min(R, 5**2)
    bounds = {e: start_end_min_cut(3, R, 2, 6, domain="onehot", engine=e).bound for e in ("scipy", "networkx")}
    bounds["auto"] = start_end_min_cut(3, R, 2, 6, engine="auto", domain="continuous").bound
    assert bounds["scipy"] == bounds["networkx"] <= bounds["auto"]  # one-hot <= continuous


def test_bonds_beyond_int64_are_refused():
    with pytest.raises(ArgumentError) as info:
        start_end_min_cut(2, 2**70, 2, 4, domain="continuous")
    assert info.value.name == "R"


def test_min_cut_or_reason_skips_huge_networks_without_building():
    import time

    from tnrnn.cuts import min_cut_or_reason

    t0 = time.perf_counter()
    cut, reason = min_cut_or_reason(2, 2, 1000, 1000)
    assert cut is None and "nodes" in reason and time.perf_counter() - t0 < 2
    cut, reason = min_cut_or_reason(2, 2, 2, 6)
    assert reason is None and cut.bound == start_end_min_cut(2, 2, 2, 6, domain="continuous").bound


def test_start_end_bound_is_the_min_cut_bound_and_memoised():
    from tnrnn.cuts import start_end_bound

    cache = {}
    for cell, domain in (("rac", "continuous"), ("rac", "onehot"), ("mi", "continuous")):
        expected = min_cut(build_network(2, 3, 2, 6, domain=domain, cell=cell)).bound
        assert start_end_bound(2, 3, 2, 6, domain=domain, cell=cell, cache=cache) == expected
    onehot = min_cut(build_network(2, 3, 2, 6, domain="onehot")).bound
    assert len(cache) == 3 and cache[("cut", "rac", 2, 3, 2, "onehot", 6)] == onehot
    cache[("cut", "rac", 2, 3, 2, "continuous", 6)] = -1  # a cached value is returned without recomputing
    assert start_end_bound(2, 3, 2, 6, cache=cache, domain="continuous") == -1


def test_cut_engines_are_a_registry_checked_before_work():
    from tnrnn._cut_engines import CUT_ENGINES
    from tnrnn.build import build_network
    from tnrnn.cuts import ENGINES, min_cut

    assert CUT_ENGINES.names() == ("networkx", "scipy", "tree") and ENGINES == ("auto", *CUT_ENGINES.names())
    graph = build_network(2, 2, 2, 6, domain="continuous")
    bounds = {e: min_cut(graph, engine=e).bound for e in ENGINES}
    assert len(set(bounds.values())) == 1, bounds
    with pytest.raises(ArgumentError, match="engine='maxflow'.*'auto', 'networkx', 'scipy', 'tree'"):
        min_cut(graph, engine="maxflow")
