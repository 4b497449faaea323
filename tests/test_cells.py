"""Cells beyond the RAC: exact ranks against a straightforward evaluation, bounds, the kernel, user cells."""

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn import ArgumentError, parse_partition
from tnrnn.bounds import proven_upper_bounds
from tnrnn.cells import Cell, NumpyModular, Rac, bounds_report, cell_names, cell_upper_bounds, make_cell
from tnrnn.cells.bounds import cell_lower_bound, derived_upper_bounds
from tnrnn.rank import evaluation_matrix, one_hot_grid, reference_matrix, residue_matrix, separation_rank
from tnrnn.testing import assert_close, flint_rank, rng

NEW = ("bilinear", "mi", "quad", "linear")
CELLS = ("rac", *NEW)
P = 1000003  # a prime of our own, independent of the engine's primes


def _reference_rank(cell, T, domain, partition, N, *, seed=7, p=P):
    """Rank of [y(a_i, b_j)] with every pair run through the whole recurrence, then FLINT."""
    part = parse_partition(partition, T)
    params = cell.random_residues(p, seed)
    if domain == "onehot":
        a, b = one_hot_grid(cell.M, len(part.A)), one_hot_grid(cell.M, len(part.B))
    else:
        g = rng(seed + 1)
        a = g.integers(0, p, (N, len(part.A), cell.M))
        b = g.integers(0, p, (N, len(part.B), cell.M))
    Y = reference_matrix(cell, params, part, a, b, p)
    return flint_rank(Y, p)


# (cell, L, partition) -> T small enough that the continuous rank stays in the hundreds (quad grows fastest)
T_OF = {
    ("quad", 1, "interleaved"): 5,
    ("quad", 2, "interleaved"): 4,
    ("quad", 3, "start-end"): 2,
    ("quad", 3, "interleaved"): 3,
}


@pytest.mark.parametrize("partition", ["start-end", "interleaved"])
@pytest.mark.parametrize("domain", ["onehot", "continuous"])
@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("name", NEW)
def test_exact_rank_equals_straightforward_evaluation(name, L, domain, partition):
    T = T_OF.get((name, L, partition), 4 if L == 3 else 6)
    cell = make_cell(name, 2, 2, L)
    res = separation_rank(2, 2, L, T, domain=domain, partition=partition, cell=name, seed=3, max_N=2048)
    assert res.status != "partial"
    # a sample a few points wider than the engine's rank finds the generic rank again (or more, if it under-counted)
    ref = _reference_rank(cell, T, domain, partition, res.rank + 5)
    assert res.rank == ref, (name, L, T, domain, partition)
    assert res.cell == name
    bounds = cell_upper_bounds(name, 2, 2, L, T, domain=domain, partition=partition)
    assert res.rank <= min(bounds.values())
    assert (res.status == "proven") == (res.rank == min(bounds.values()))


def _three_paths(cell, spec, T, dtypes):
    part = parse_partition(spec, T)
    p = 2097143
    params = cell.random_residues(p, 11)
    g = rng(5)
    a = g.integers(0, p, (9, len(part.A), cell.M))
    b = g.integers(0, p, (7, len(part.B), cell.M))
    ref = reference_matrix(cell, params, part, a, b, p)
    num = evaluation_matrix(cell, params, NumpyModular(p), part, a, b)
    assert np.array_equal(np.remainder(num, p), ref)
    for dtype in dtypes:
        jx = residue_matrix(cell, params, part, a, b, p, dtype=dtype)
        assert np.array_equal(np.remainder(jx.astype(np.int64), p), ref), dtype


@pytest.mark.parametrize("name", CELLS)
def test_jax_kernel_equals_numpy_path_entry_for_entry(name):
    # steps 2 and 5 on one side, 1, 3, 4 on the other: a prefix, then rows and columns alternating
    _three_paths(make_cell(name, 2, 3, 2), "1,3,4;2,5", 5, ("float64",))


@pytest.mark.slow
@pytest.mark.parametrize("name", CELLS)
def test_jax_kernel_equals_numpy_path_slow(name):
    cell = make_cell(name, 3, 2, 3)
    _three_paths(cell, "start-end", 4, ("float64", "int64"))
    _three_paths(cell, "2,5;1,3,4", 5, ("int64",))
    r_jax = separation_rank(2, 3, 2, 4, domain="continuous", cell=name, evaluation="jax", n_seeds=1)
    r_np = separation_rank(2, 3, 2, 4, domain="continuous", cell=name, evaluation="numpy", n_seeds=1)
    assert (r_jax.rank, r_jax.N) == (r_np.rank, r_np.N)


@pytest.mark.parametrize("M", [1, 2, 3])
def test_linear_rank_at_most_two_everywhere(M):
    for L in (1, 2, 3):
        for T, partition in ((2, "start-end"), (5, "interleaved"), (6, "start-end"), (6, "2,5;1,3,4,6")):
            for domain in ("onehot", "continuous"):
                res = separation_rank(M, 2, L, T, domain=domain, partition=partition, cell="linear", n_seeds=1)
                low, _ = cell_lower_bound(make_cell("linear", M, 2, L), T, domain=domain, partition=partition)
                assert res.rank <= 2
                assert res.rank == low  # the theorem: exactly 2 (1 for a one-symbol alphabet)
                bounds = cell_upper_bounds("linear", M, 2, L, T, domain=domain, partition=partition)
                assert bounds["total_degree_upper"] == 2


# values published in the project's rank tables (continuous, one-hot), computed before the cell protocol
OLD_RAC = {(2, 2, 2, 8): (10, 10), (2, 3, 2, 8): (42, 16), (3, 3, 2, 6): (30, 27), (2, 2, 3, 6): (52, 8)}


@pytest.mark.parametrize(("sizes", "expected"), list(OLD_RAC.items()))
def test_rac_cell_gives_the_old_values(sizes, expected):
    M, R, L, T = sizes
    for cell in ("rac", Rac(M, R, L)):
        got = tuple(separation_rank(M, R, L, T, domain=d, cell=cell).rank for d in ("continuous", "onehot"))
        assert got == expected


def test_derived_bounds_reproduce_the_rac_closed_forms():
    for L in (1, 2, 3):
        for T in (2, 4, 6, 8):
            for partition in (
                "start-end",
                "interleaved",
                "1;2," + ",".join(map(str, range(3, T + 1))) if T > 2 else "1;2",
            ):
                for domain in ("onehot", "continuous"):
                    derived = derived_upper_bounds(Rac(3, 2, L), T, domain=domain, partition=partition)
                    closed = proven_upper_bounds(3, 2, L, T, domain=domain, partition=partition)
                    assert {k: derived[k] for k in closed} == closed


def test_worked_bounds_of_the_module_notes():
    """Closed forms written in tnrnn.cells.bounds, recomputed here from the formulas."""
    from math import comb, prod

    M = R = 2
    for T in (2, 4, 6, 8):
        m = T // 2
        for L in (1, 2, 3):
            d = [comb(m - 1 + L - l, L - l) for l in range(1, L + 1)]
            b = cell_upper_bounds("mi", M, R, L, T, domain="continuous")
            assert b["state_upper"] == prod(comb(R + dl, dl) for dl in d)
            q = cell_upper_bounds("quad", M, R, L, T, domain="continuous")
            assert q["state_upper"] == prod(comb(R + 2 ** (m + L - l), R) for l in range(1, L + 1))
            n_end = [2 ** (T - t + L) for t in range(m + 1, T + 1)]
            n_start = [2 ** (T - t + L) for t in range(1, m + 1)]
            assert q["degree_upper"] == min(prod(comb(M + n, n) for n in n_end), prod(comb(M + n, n) for n in n_start))
            lin = cell_upper_bounds("linear", M, R, L, T, domain="continuous")
            assert lin["state_upper"] == (R + 1) ** L
            bil = cell_upper_bounds("bilinear", M, R, L, T, domain="continuous")
            rac = proven_upper_bounds(M, R, L, T, domain="continuous")
            assert (bil["state_upper"], bil["degree_upper"]) == (rac["state_upper"], rac["degree_upper"])


@pytest.mark.parametrize("name", NEW)
def test_bounds_hold_on_a_seeded_sweep(name):
    for M, R in ((2, 2), (3, 2), (2, 3)):
        for L in (1, 2):
            for T, partition in ((2, "start-end"), (4, "start-end"), (4, "interleaved"), (5, "1,2;3,4,5")):
                if name == "quad" and (L, M, R) != (1, 2, 2) and T >= 4:
                    continue  # thousands of states: the continuous rank grows fast
                for domain in ("onehot", "continuous"):
                    res = separation_rank(
                        M, R, L, T, domain=domain, partition=partition, cell=name, seed=M + R, max_N=2048
                    )
                    bounds = cell_upper_bounds(name, M, R, L, T, domain=domain, partition=partition)
                    assert 0 < res.rank <= min(bounds.values()), (M, R, L, T, partition, domain, bounds)
                    low, _ = cell_lower_bound(make_cell(name, M, R, L), T, domain=domain, partition=partition)
                    assert low is None or res.rank >= low


def test_shallow_bilinear_attains_min_R_M_half():
    for M, R, T in ((2, 3, 2), (2, 3, 4), (2, 5, 4), (3, 2, 6), (2, 4, 6)):
        for domain in ("onehot", "continuous"):
            res = separation_rank(M, R, 1, T, domain=domain, cell="bilinear")
            assert (
                res.rank
                == min(R, M ** (T // 2))
                == cell_lower_bound(make_cell("bilinear", M, R, 1), T, domain=domain)[0]
            )


def _bilinear_from_rac(W_I, W_H, W_O):
    """The gauge of tnrnn.cells.bounds: a bilinear cell computing exactly the given RAC."""
    A, D_prev = [], np.eye(W_I[0].shape[1])
    for WI, WH in zip(W_I, W_H, strict=True):
        d_inv = np.linalg.solve(WH, np.ones(WH.shape[0]))  # W^H D^{-1} 1 = 1
        WH2, WI2 = WH * d_inv[None, :], (1 / d_inv)[:, None] * WI @ np.linalg.inv(D_prev)
        A.append(np.einsum("ri,rj->rij", WH2, WI2))
        D_prev = np.diag(1 / d_inv)
    return A, W_O @ np.linalg.inv(D_prev)


def test_bilinear_contains_every_rac_by_the_gauge():
    M, R, L, T = 2, 3, 3, 5
    g = rng(0)
    rac = Rac(M, R, L)
    prm = rac.make_params(**rac._arrays(lambda s: g.standard_normal(s)))
    A, W_O = _bilinear_from_rac(prm.W_I, prm.W_H, prm.W_O)
    bil = make_cell("bilinear", M, R, L)
    xs = g.standard_normal((6, T, M))
    assert_close(bil.forward(bil.make_params(A=tuple(A), W_O=W_O), xs), rac.forward(prm, xs))
    for d in ("onehot", "continuous"):  # hence rank(bilinear) >= rank(RAC)
        assert separation_rank(2, 2, 2, 6, domain=d, cell="bilinear").rank >= separation_rank(2, 2, 2, 6, domain=d).rank
    # where the RAC stays below its state bound R ((R; T/2)) (M=2, R=3, T=8), the full cores reach it
    bil = separation_rank(2, 3, 2, 8, domain="continuous", cell="bilinear")
    assert bil.status == "proven" and bil.rank == proven_upper_bounds(2, 3, 2, 8, domain="continuous")["state_upper"]
    assert bil.rank > separation_rank(2, 3, 2, 8, domain="continuous").rank


class _WidthArith:
    """Vectors are channel counts; records the widest sum any operation makes (reduced after every op)."""

    def __init__(self):
        self.widest = 0

    def matvec(self, W, v):
        self.widest = max(self.widest, W.shape[1])
        return W.shape[0]

    def mul(self, u, v):
        return u

    def add(self, u, v):
        return u

    def scale(self, c, v):
        return v

    def param(self, c, like):
        return c.shape[-1]

    def bilinear(self, A, u, v):  # A[r] v (D products, reduced), then . u (R products)
        self.widest = max(self.widest, A.shape[1], A.shape[2])
        return A.shape[0]

    def ones(self, n, like):
        return n

    def zeros(self, n, like):
        return n

    def first(self, v):
        return 1


@pytest.mark.parametrize("name", CELLS)
def test_width_reports_the_widest_sum(name):
    for M, R, L in ((2, 5, 2), (7, 3, 3)):
        cell = make_cell(name, M, R, L, K=2)
        params = cell.make_params(**cell._arrays(np.zeros))
        ar = _WidthArith()
        carry = cell.initial_carry(params, ar, None)
        for _ in range(3):
            carry, h = cell.step(params, carry, M, ar)
        cell.readout(params, h, ar)
        assert cell.width() == ar.widest


def test_registry_and_errors():
    assert set(CELLS) <= set(cell_names())
    with pytest.raises(ArgumentError, match="cell"):
        make_cell("elman", 2, 2, 1)
    rep = bounds_report(2, 2, 2, 6, cell="linear")
    assert rep["lower"] == 2 and rep["cell"] == "linear" and rep["min_cut"] is None


@pytest.mark.parametrize("name", NEW)
def test_float_step_runs_under_jax(name):
    import jax

    cell = make_cell(name, 2, 3, 2)
    params = cell.init(key=jax.random.PRNGKey(0))
    xs = jnp.asarray(rng(1).standard_normal((4, 3, 2)))
    y = jax.jit(lambda p, x: cell.forward(p, x, xp=jnp))(params, xs)
    assert y.shape == (4, 1)
    assert_close(np.asarray(y), cell.forward(jax.tree_util.tree_map(np.asarray, params), np.asarray(xs)))


# ---------------------------------------------------------------------------------------------------------------
# tensor networks of the cells with a product form


NETWORK_CASES = [(1, 3), (2, 3), (3, 2), (2, 4)]


@pytest.mark.parametrize("domain", ["continuous", "onehot"])
@pytest.mark.parametrize("name", ["bilinear", "mi", "quad"])
def test_contraction_equals_forward_pass(name, domain):
    from tnrnn.build import build_network, cell_network_inputs, network_arrays, network_size
    from tnrnn.contract import contract, network_forward

    g = rng(2)
    for L, T in NETWORK_CASES:
        if name == "quad" and T * L > 6:
            continue
        cell = make_cell(name, 2, 3, L)
        params = cell.make_params(**cell._arrays(lambda s: g.standard_normal(s)))
        graph = build_network(2, 3, L, T, domain=domain, cell=cell).check()
        assert graph.n_nodes == network_size(2, 3, L, T, domain=domain, cell=name)
        assert graph.is_tree() == (domain == "continuous" or (L == 1 and name != "quad"))  # joined copies: cycles
        xs = g.standard_normal((T, 2)) if domain == "continuous" else np.eye(2)[g.integers(0, 2, T)]
        y = contract(graph, network_arrays(graph, params), cell_network_inputs(graph, xs))
        expected = cell.forward(params, xs)
        assert_close(np.asarray(y) / np.abs(expected).max(), expected / np.abs(expected).max())
        last = (cell, T, params, xs, expected)
    import jax

    cell, T, params, xs, expected = last  # jitted, with JAX parameters, on the largest case
    f = network_forward(T, domain=domain, cell=cell)
    y = f(jax.tree_util.tree_map(jnp.asarray, params), jnp.asarray(xs))
    assert_close(np.asarray(y) / np.abs(expected).max(), expected / np.abs(expected).max())


@pytest.mark.parametrize("name", ["bilinear", "mi", "quad"])
def test_min_cut_bounds_the_exact_rank(name):
    from tnrnn.cuts import start_end_min_cut

    for M, R in ((2, 2), (3, 2), (2, 3)):
        for L, T in ((1, 2), (1, 4), (2, 2), (2, 4), (3, 2)):
            for domain in ("continuous", "onehot"):
                for partition in ("start-end", "interleaved"):
                    cut = start_end_min_cut(M, R, L, T, domain=domain, partition=partition, cell=name)
                    res = separation_rank(
                        M, R, L, T, domain=domain, partition=partition, cell=name, max_N=min(cut.bound, 1024)
                    )
                    assert res.rank <= cut.bound, (M, R, L, T, domain, partition)


def test_rac_network_unchanged_and_refusals():
    from tnrnn.build import MAX_CELL_NODES, build_network

    assert build_network(2, 3, 2, 4, domain="onehot") == build_network(2, 3, 2, 4, domain="onehot", cell="rac")
    assert (
        build_network(2, 3, 2, 4, cell=Rac(2, 3, 2), domain="continuous").to_json()
        == build_network(2, 3, 2, 4, domain="continuous").to_json()
    )
    with pytest.raises(ArgumentError, match="no tensor network"):
        build_network(2, 2, 2, 4, cell="linear", domain="continuous")
    with pytest.raises(ArgumentError, match=f"at most {MAX_CELL_NODES} nodes") as info:
        build_network(2, 2, 3, 16, cell="quad", domain="continuous")
    assert "\n" not in str(info.value)
    mi = build_network(2, 2, 2, 4, cell="mi", domain="continuous")
    assert mi.size_dict["h2_4.0"] == 3 and mi.size_dict["x1.0"] == 3  # bond R + 1, input (x, 1)
    assert build_network(2, 2, 2, 4, cell="mi", domain="onehot").size_dict["x1"] == 2


def _cli(*argv):
    import json

    from tnrnn.cli import main

    buf = __import__("io").StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(buf):
        code = main([*argv, "--json"])
    return code, (json.loads(buf.getvalue()) if code == 0 else None)


def test_cli_cell_flag():
    code, out = _cli("rank", "--M", "2", "--R", "2", "--L", "1", "--T", "4", "--cell", "mi")
    assert (
        code == 0
        and out["cell"] == "mi"
        and out["rank"] == separation_rank(2, 2, 1, 4, domain="continuous", cell="mi").rank
    )
    code, out = _cli("bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--cell", "linear")
    assert out["min_cut"] is None and "no tensor network" in out["min_cut_note"] and out["lower"] == 2
    code, out = _cli("bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--cell", "bilinear")
    assert out["min_cut"] >= out["lower"]
    code, out = _cli("network", "--M", "2", "--R", "2", "--L", "2", "--T", "3", "--cell", "quad")
    from tnrnn.build import network_size

    assert out["nodes"] == network_size(2, 2, 2, 3, cell="quad", domain="continuous") and out["is_tree"]
    code, out = _cli("cut", "--M", "2", "--R", "2", "--L", "1", "--T", "4", "--cell", "bilinear")
    assert out["bound"] == 2
    code, out = _cli("table", "--M", "2", "--R", "2", "--L", "1", "--T", "2", "--cell", "quad", "--no-progress")
    assert [r["rank"] for r in out["rows"]] == [
        separation_rank(2, 2, 1, 2, domain=d, cell="quad").rank for d in ("onehot", "continuous")
    ]
    assert _cli("rank", "--M", "2", "--R", "2", "--L", "1", "--T", "4", "--cell", "elman")[0] == 2


def test_bounds_json_has_the_same_keys_for_every_cell():
    """One report: ``tnrnn bounds --json`` gives the same keys for the RAC and every other cell (DESIGN.md's too)."""
    contract = {"lower", "state_upper", "degree_upper", "alphabet_upper", "min_cut", "theorem"}
    keys = {}
    for name in cell_names():
        code, out = _cli("bounds", "--M", "2", "--R", "2", "--L", "2", "--T", "4", "--cell", name)
        assert code == 0 and out["cell"] == name and contract <= set(out), name
        keys[name] = set(out)
        if out["min_cut"] is None:
            assert out["min_cut_note"], name  # the reason
        else:
            assert out["min_cut_note"] is None and out["lower"] is None or out["lower"] <= out["min_cut"]
    assert len({frozenset(k) for k in keys.values()}) == 1, keys
    code, rac = _cli("bounds", "--M", "2", "--R", "3", "--L", "2", "--T", "6", "--partition", "interleaved")
    code, mi = _cli(
        "bounds", "--M", "2", "--R", "3", "--L", "2", "--T", "6", "--partition", "interleaved", "--cell", "mi"
    )
    assert rac["partition"] == mi["partition"] == {"name": "interleaved"} and rac["lower"] is None
    assert (
        mi["degree_upper"]
        == cell_upper_bounds("mi", 2, 3, 2, 6, domain="continuous", partition="interleaved")["degree_upper"]
    )


# ---------------------------------------------------------------------------------------------------------------
# a cell defined outside the package


@dataclasses.dataclass(frozen=True)
class CubicInput(Cell):
    """h = (W^H u) ⊙ (W^I v) ⊙ (W^J v): degree 2 in the layer input; first step W^H u := 1."""

    name = "test-cubic-input"

    def param_shapes(self):
        R, L = self.R, self.L
        D = [self.M if l == 0 else R for l in range(L)]
        return {
            "W_H": tuple((R, R) for _ in range(L)),
            "W_I": tuple((R, d) for d in D),
            "W_J": tuple((R, d) for d in D),
            "W_O": (self.K, R),
        }

    def initial_carry(self, params, ar, like):
        return tuple(ar.ones(self.R, like) for _ in range(self.L))  # the carry is W^H h^{t-1}

    def step(self, params, carry, x, ar):
        v, new = x, []
        for l, g in enumerate(carry):
            v = ar.mul(g, ar.mul(ar.matvec(params["W_I"][l], v), ar.matvec(params["W_J"][l], v)))
            new.append(ar.matvec(params["W_H"][l], v))
        return tuple(new), v

    def readout(self, params, h, ar):
        return ar.matvec(params["W_O"], h)


def test_a_cell_defined_outside_the_package():
    from math import comb

    for L, T in ((1, 4), (2, 4)):
        cell = CubicInput(2, 2, L)
        for domain in ("onehot", "continuous"):
            for partition in ("start-end", "interleaved"):
                res = separation_rank(2, 2, L, T, domain=domain, partition=partition, cell=cell, max_N=1024)
                assert res.cell == "test-cubic-input" and res.status != "partial"
                assert res.rank == _reference_rank(cell, T, domain, partition, res.rank + 5)
                assert res.rank <= min(cell.proven_upper_bounds(T, domain=domain, partition=partition).values())
    # derived bounds follow the degrees: shallow, y is homogeneous of degree 2 in every input
    b = CubicInput(3, 5, 1).proven_upper_bounds(4, domain="continuous")
    assert b["degree_upper"] == comb(3 + 1, 2) ** 2 and b["state_upper"] == 5
    _three_paths(CubicInput(2, 3, 2), "1,3,4;2,5", 5, ("float64",))  # the jitted kernel runs it too
    with pytest.raises(ArgumentError, match="cell"):
        separation_rank(2, 2, 1, 4, domain="onehot", cell="test-cubic-input")  # not registered by name


def test_the_worked_example_script():
    import pathlib
    import runpy

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "custom_cell.py"
    ns = runpy.run_path(str(path))
    assert "affine-rac" in cell_names()
    cell = ns["AffineRAC"](2, 2, 2)
    res = separation_rank(2, 2, 2, 4, domain="continuous", cell="affine-rac")
    assert res.rank == _reference_rank(cell, 4, "continuous", "start-end", res.rank + 5)


def test_cells_figure_draws_the_engine_ranks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tnrnn.plots import CELL_STYLE, plot_cells_rank_vs_T

    exact_T = {cell: [2, 4] for cell in CELL_STYLE}
    fig, ax = plot_cells_rank_vs_T(2, "continuous", exact_T=exact_T, T_max=4)
    lines = {ln.get_gid(): ln for ln in ax.get_lines() if ln.get_gid()}
    assert set(lines) == {f"measured-{c}-continuous" for c in CELL_STYLE}
    for cell in CELL_STYLE:
        ys = list(lines[f"measured-{cell}-continuous"].get_ydata())
        assert ys == [separation_rank(2, 2, 2, T, domain="continuous", cell=cell).rank for T in (2, 4)]
    plt.close(fig)


def test_every_arithmetic_implements_the_documented_interface():
    """`tnrnn.cells.Arithmetic` lists every operation a step may use; each arithmetic has all, same signatures."""
    import inspect

    from tnrnn.cells import Arithmetic, arith
    from tnrnn.cells import bounds as cell_bounds

    ops = {n: inspect.signature(f) for n, f in vars(Arithmetic).items() if callable(f) and not n.startswith("_")}
    assert {"matvec", "mul", "add", "scale", "param", "bilinear", "ones", "zeros", "const", "first"} <= set(ops)
    found = [
        obj
        for module in (arith, cell_bounds)
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and name.endswith("Arith") and obj.__module__ == module.__name__
    ]
    assert len(found) >= 5, found  # float, numpy modular, residue, degree, group degree (and more)
    for cls in found:
        for name, sig in ops.items():
            assert hasattr(cls, name), (cls.__name__, name)
            assert list(inspect.signature(getattr(cls, name)).parameters) == list(sig.parameters), (cls.__name__, name)
    # and a cell's step uses nothing else: run the RAC and a polynomial cell on a recorder of the interface
    used = set()

    class Recorder:
        def __getattr__(self, name):
            used.add(name)
            return getattr(cell_bounds.GroupDegreeArith(), name)

    for name in ("rac", "mi", "quad", "bilinear"):
        cell = make_cell(name, 2, 2, 2)
        params = cell.make_params(**cell._arrays(lambda s: None))
        carry = cell.initial_carry(params, Recorder(), None)
        carry, h = cell.step(params, carry, cell_bounds.VAR, Recorder())
        cell.readout(params, h, Recorder())
    assert used and used <= set(ops), used - set(ops)
