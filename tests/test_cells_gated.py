"""The gated cells ``gru`` and ``lstm`` with Taylor activations: formulas, exact paths, degrees, bounds, hand ranks."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from math import comb

import numpy as np
import pytest

from tnrnn import ArgumentError, parse_partition
from tnrnn.cells import GRU, LSTM, DegreeArith, FloatArith, NumpyModular, ResidueArith, cell_spec, make_cell
from tnrnn.cells.arith import rational_residue
from tnrnn.cells.bounds import Deg, GroupDegreeArith, derived_upper_bounds, input_degrees, state_degrees, total_degree
from tnrnn.rank import one_hot_grid, reference_matrix, residue_matrix, separation_rank
from tnrnn.testing import assert_close, flint_rank, rng

GATED = ("gru", "lstm")
DEGREES = (1, 3)
P = 1000003  # a prime of our own, independent of the engine's primes


def _cell(name, M, R, L, d):
    return make_cell(cell_spec(name, act_degree=d), M, R, L)


# --- the formulas, written out -------------------------------------------------------------------------------


def _sig(a, d):
    return 0.5 + a / 4 - (a**3 / 48 if d == 3 else 0)


def _tanh(a, d):
    return a - (a**3 / 3 if d == 3 else 0)


def _numpy_gru(p, xs, L, d):
    """The GRU of the issue, one sequence ``xs`` ``(T, M)``, plain numpy."""
    h = [np.zeros(p["W_O"].shape[1]) for _ in range(L)]
    for x in xs:
        v = x
        for l in range(L):
            u = h[l]
            z = _sig(p["W_z"][l] @ v + p["U_z"][l] @ u + p["b_z"][l], d)
            r = _sig(p["W_r"][l] @ v + p["U_r"][l] @ u + p["b_r"][l], d)
            n = _tanh(p["W_n"][l] @ v + r * (p["U_n"][l] @ u + p["b_hn"][l]) + p["b_n"][l], d)
            h[l] = (1 - z) * n + z * u
            v = h[l]
    return p["W_O"] @ h[-1]


def _numpy_lstm(p, xs, L, d):
    """The LSTM of the issue, one sequence ``xs`` ``(T, M)``, plain numpy."""
    R = p["W_O"].shape[1]
    h = [np.zeros(R) for _ in range(L)]
    c = [np.zeros(R) for _ in range(L)]
    for x in xs:
        v = x
        for l in range(L):

            def pre(g, l=l, v=v):
                return p[f"W_{g}"][l] @ v + p[f"U_{g}"][l] @ h[l] + p[f"b_{g}"][l]

            i, f, o, g = _sig(pre("i"), d), _sig(pre("f"), d), _sig(pre("o"), d), _tanh(pre("g"), d)
            c[l] = f * c[l] + i * g
            h[l] = o * _tanh(c[l], d)
            v = h[l]
    return p["W_O"] @ h[-1]


def _float_params(cell, seed):
    g = rng(seed)
    return cell.make_params(**cell._arrays(lambda s: 0.4 * g.standard_normal(s)))  # small: cubics stay moderate


@pytest.mark.parametrize("d", DEGREES)
@pytest.mark.parametrize("name", GATED)
def test_float_step_equals_the_formulas(name, d):
    cell = _cell(name, 3, 2, 2, d)
    params = _float_params(cell, 1)
    xs = 0.8 * rng(2).standard_normal((5, 4, 3))  # batch 5, T = 4, M = 3
    ref = _numpy_gru if name == "gru" else _numpy_lstm
    expected = np.stack([ref(params, x, 2, d) for x in xs])
    assert np.isfinite(expected).all() and np.ptp(expected) > 1e-3
    assert_close(cell.forward(params, xs), expected)


def test_float_gru_is_the_trainable_gru_with_taylor_activations(monkeypatch):
    import jax.numpy as jnp

    from tnrnn.tasks import models

    M, R, d = 2, 3, 3
    cell = _cell("gru", M, R, 2, d)
    params = _float_params(cell, 4)
    params["b_hn"] = tuple(np.zeros(R) for _ in range(2))  # the trainable cell has no hidden bias
    layers = [
        models.GRUCell(
            W=jnp.concatenate([jnp.asarray(params[f"W_{g}"][l]) for g in "zrn"]),
            U=jnp.concatenate([jnp.asarray(params[f"U_{g}"][l]) for g in "zrn"]),
            b=jnp.concatenate([jnp.asarray(params[f"b_{g}"][l]) for g in "zrn"]),
        )
        for l in range(2)
    ]
    xs = 0.8 * rng(5).standard_normal((6, M))
    monkeypatch.setattr(models.jax.nn, "sigmoid", lambda a: _sig(a, d))
    monkeypatch.setattr(models.jnp, "tanh", lambda a: _tanh(a, d))
    h = [layer.initial_carry() for layer in layers]
    for x in xs:
        v = jnp.asarray(x)
        for l, layer in enumerate(layers):
            h[l], v = layer(h[l], v)
    expected = params["W_O"] @ np.asarray(h[-1])
    assert np.isfinite(expected).all() and np.abs(expected).max() > 1e-3
    assert_close(cell.forward(params, xs), expected)


# --- the exact paths against FLINT's nmod ---------------------------------------------------------------------


def _flint_forward(cell, params, xs, p):
    """The first output mod ``p`` of one integer sequence, every operation in FLINT's ``nmod`` (its own inverses)."""
    import flint

    F = lambda x: flint.nmod(int(x), p)  # noqa: E731
    d, R = cell.act_degree, cell.R

    def poly(a, coeffs):
        return [sum((F(c.numerator) / F(c.denominator) * x**k for k, c in enumerate(coeffs)), F(0)) for x in a]

    sig = [Fraction(1, 2), Fraction(1, 4)] + ([0, Fraction(-1, 48)] if d == 3 else [])
    tnh = [0, 1] + ([0, Fraction(-1, 3)] if d == 3 else [])
    sig = [Fraction(c) for c in sig]
    tnh = [Fraction(c) for c in tnh]

    def mv(W, v):
        return [sum((F(W[r, k]) * v[k] for k in range(len(v))), F(0)) for r in range(W.shape[0])]

    def add(*vs):
        return [sum(t, F(0)) for t in zip(*vs, strict=True)]

    def mul(a, b):
        return [x * y for x, y in zip(a, b, strict=True)]

    def vec(b):
        return [F(x) for x in b]

    h = [[F(0)] * R for _ in range(cell.L)]
    c = [[F(0)] * R for _ in range(cell.L)]
    for x in xs:
        v = [F(t) for t in x]
        for l in range(cell.L):

            def pre(g, l=l, v=v):
                return add(mv(params[f"W_{g}"][l], v), mv(params[f"U_{g}"][l], h[l]), vec(params[f"b_{g}"][l]))

            if cell.name == "gru":
                z, r = poly(pre("z"), sig), poly(pre("r"), sig)
                gated = mul(r, add(mv(params["U_n"][l], h[l]), vec(params["b_hn"][l])))
                n = poly(add(mv(params["W_n"][l], v), gated, vec(params["b_n"][l])), tnh)
                h[l] = add(mul([F(1) - t for t in z], n), mul(z, h[l]))
            else:
                i, f, o = (poly(pre(g), sig) for g in "ifo")
                c[l] = add(mul(f, c[l]), mul(i, poly(pre("g"), tnh)))
                h[l] = mul(o, poly(c[l], tnh))
            v = h[l]
    return int(mv(params["W_O"], v)[0])


@pytest.mark.parametrize("d", DEGREES)
@pytest.mark.parametrize("name", GATED)
def test_exact_paths_equal_flint_entry_for_entry(name, d):
    cell = _cell(name, 2, 2, 2, d)
    T, p = 3, 2097143
    params = cell.random_residues(p, 9)
    part = parse_partition("1,3;2", T)
    g = rng(3)
    a = g.integers(0, p, (4, 2, 2))
    b = g.integers(0, p, (3, 1, 2))
    ref = reference_matrix(cell, params, part, a, b, p)  # NumpyModular, every pair through the whole recurrence
    flint_ref = np.array(
        [[_flint_forward(cell, params, [a[i, 0], b[j, 0], a[i, 1]], p) for j in range(3)] for i in range(4)]
    )
    assert np.array_equal(ref, flint_ref)
    for dtype in ("float64", "int64"):  # the jitted kernel: the prime is traced, the constants computed in-graph
        jx = residue_matrix(cell, params, part, a, b, p, dtype=dtype)
        assert np.array_equal(np.remainder(jx.astype(np.int64), p), flint_ref), dtype


def test_const_in_every_arithmetic():
    import jax
    import jax.numpy as jnp

    q, p = Fraction(-1, 48), 101
    r = rational_residue(q, p)
    assert r * 48 % p == p - 1
    like = np.zeros((2, 5))
    assert_close(FloatArith().const(q, 3, like), np.full((2, 3), -1 / 48))
    assert np.array_equal(NumpyModular(p).const(q, 3, like), np.full((2, 3), r))
    assert ResidueArith(p, np, "int64").const(q, 2, None) == [r, r]
    centred = ResidueArith(p, np, "float64").const(q, 1, None)[0]
    assert centred % p == r and abs(centred) <= (p + 1) / 2
    for dtype, pp in (("float64", jnp.asarray([float(p), 1.0 / p])), ("int64", jnp.asarray([p, p]))):
        with jax.enable_x64(True):
            traced = jax.jit(lambda pp, dtype=dtype: ResidueArith(pp[0], jnp, dtype, inv=pp[1]).const(q, 1, None)[0])
            assert int(traced(pp)) % p == r, dtype
    assert DegreeArith().const(q, 4, None) == 0
    assert GroupDegreeArith().const(q, 4, None) == Deg(0, True) and GroupDegreeArith().const(0, 4, None) is None
    with pytest.raises(ArgumentError, match="p=3"):
        rational_residue(Fraction(1, 3), 3)


# --- degrees and bounds by hand -------------------------------------------------------------------------------

# T = 2, L = 1, by hand (theory page, section "Gated cells"). GRU, d = 1: z, r, n are affine in x^t at step t,
# so h^1 = (1 - z) ⊙ n has degree 2 in x^1; step 2 multiplies the degree in the state by 3 (r ⊙ U_n u is quadratic,
# (1 - z) ⊙ n cubic): x^1 has degree 2 * 3 = 6, x^2 degree 2, the state degree 3. d = 3: a gate is cubic in its
# argument, the candidate tanh(... r ⊙ U_n u) of degree 3 (3 + 1) = 12; step t: 3 + 3 * 3 = 12 in x^t; per step
# 3 + 12 = 15 in the state; x^1: 12 * 15 = 180. LSTM, d = 1: c^1 = i ⊙ g (2), h^1 = o ⊙ c^1 (3); step 2: c^2 =
# f ⊙ c^1 + i ⊙ g has degree 1 in c^1 and 2 in h^1, h^2 = o ⊙ c^2 degree 3 in h^1; in x^1: gates 3, c^2 = 3 + 3 = 6
# (i ⊙ g) or 3 + 2 (f ⊙ c^1), h^2 = 3 + 6 = 9. d = 3: h^1 = o ⊙ tanh(i ⊙ g): 3 + 3 * 6 = 21, c^1: 6; state: c
# leaf 3 (tanh), h leaf 3 + 3 * (3 + 3) = 21; x^1: gates 63, c^2 = 63 + 63 = 126, h^2 = 63 + 3 * 126 = 441.
HAND = {
    ("gru", 1): ((6, 2), (3,)),
    ("gru", 3): ((180, 12), (15,)),
    ("lstm", 1): ((9, 3), (3, 1)),
    ("lstm", 3): ((441, 21), (21, 3)),
}


@pytest.mark.parametrize(("name", "d"), list(HAND))
def test_degrees_at_T2_by_hand(name, d):
    cell = _cell(name, 1, 1, 1, d)
    n_t, state = HAND[name, d]
    assert input_degrees(cell, 2) == tuple(Deg(n, False) for n in n_t)  # never homogeneous: the 1/2 of σ
    assert state_degrees(cell, 2, 1) == tuple(Deg(s, False) for s in state)
    assert total_degree(cell, 2) == Deg(n_t[0], False)
    for M, R in ((1, 1), (2, 3)):
        b = derived_upper_bounds(_cell(name, M, R, 1, d), 2, domain="continuous")
        assert b["degree_upper"] == min(comb(M + n, n) for n in n_t)  # C(M + n, n) monomials of degree <= n
        assert b["state_upper"] == np.prod([comb(R + s, s) for s in state])


# Shallow, T = 2, continuous, by hand. GRU, M = R = 1: with s = h^1(x^1) (a quadratic), y = sum_{j<=3, i<=2}
# C_ji s^j (x^2)^i; the columns of x^2-degree 2, 1, 0 are polynomials in s of degree 1, 2, 3 with leading
# coefficients -W_z W_r U_n / 16, -U_n (U_z W_r + W_z U_r) / 16, -U_z U_r U_n / 16 (nonzero for generic weights),
# so they are independent: rank 3 (= the degree bound). M = 2, R = 1: y = sum_{j<=3} s^j P_j(x^2) with P_3 constant,
# P_2 affine, P_1 and P_0 quadratics whose quadratic parts (a.x)(b.x) and (a.x)(c.x) are independent: rank 4 (the
# state bound). LSTM, M = R = 1: y = sum_{i<=3} (x^2)^i Q_i(h^1, c^1), Q_i of degrees 0, 3, 6, 9 in x^1
# (h^1 cubic, c^1 quadratic; leading terms o_x i_x g_x, then h, h^2, h^3): rank 4 (the degree bound).
HAND_RANKS = {("gru", 1, 1): 3, ("gru", 2, 1): 4, ("lstm", 1, 1): 4}


@pytest.mark.parametrize(("name", "M", "R"), list(HAND_RANKS))
def test_shallow_rank_by_hand(name, M, R):
    res = separation_rank(M, R, 1, 2, domain="continuous", cell=name)
    assert res.rank == HAND_RANKS[name, M, R] and res.status == "proven"


def _reference_rank(cell, T, domain, partition, N, *, seed=7, p=P):
    part = parse_partition(partition, T)
    params = cell.random_residues(p, seed)
    if domain == "onehot":
        a, b = one_hot_grid(cell.M, len(part.A)), one_hot_grid(cell.M, len(part.B))
    else:
        g = rng(seed + 1)
        a = g.integers(0, p, (N, len(part.A), cell.M))
        b = g.integers(0, p, (N, len(part.B), cell.M))
    return flint_rank(reference_matrix(cell, params, part, a, b, p), p)


@pytest.mark.parametrize("d", DEGREES)
@pytest.mark.parametrize("name", GATED)
def test_ranks_never_exceed_the_bounds_and_match_a_plain_evaluation(name, d):
    cases = [(2, 1, 1, 4, "start-end"), (1, 2, 2, 2, "start-end"), (2, 2, 1, 3, "1,3;2"), (2, 1, 2, 2, "start-end")]
    for M, R, L, T, partition in cases:
        for domain in ("onehot", "continuous"):
            spec = cell_spec(name, act_degree=d)
            res = separation_rank(M, R, L, T, domain=domain, partition=partition, cell=spec, seed=M + R, max_N=256)
            bounds = derived_upper_bounds(make_cell(spec, M, R, L), T, domain=domain, partition=partition)
            assert 0 < res.rank <= min(bounds.values()), (M, R, L, T, partition, domain, bounds)
            if res.rank < 120:  # a sample a few points wider finds the same rank by the straightforward evaluation
                ref = _reference_rank(make_cell(spec, M, R, L), T, domain, partition, res.rank + 5)
                assert res.rank == ref, (M, R, L, T, partition, domain)
            assert res.cell == spec


# --- options, registry, atlas key, command line ----------------------------------------------------------------


def test_spec_round_trip_and_errors():
    assert cell_spec("gru") == "gru" and cell_spec("gru", act_degree=1) == "gru"
    assert cell_spec("lstm", act_degree=3) == "lstm:act_degree=3" == cell_spec("lstm:act_degree=3")
    cell = LSTM(2, 3, 2, act_degree=3)
    assert make_cell(cell.spec, 2, 3, 2) == cell and GRU(1, 1, 1).spec == "gru"
    assert dataclasses.replace(cell, act_degree=1).spec == "lstm"
    for bad, needle in (("gru:act_degree=2", "act_degree=2"), ("gru:d=3", "act_degree=<int>"), ("rac:x=1", "rac")):
        with pytest.raises(ArgumentError, match=needle):
            make_cell(bad, 2, 2, 1)
    with pytest.raises(ArgumentError, match="gru, lstm"):
        cell_spec("rac", act_degree=3)
    with pytest.raises(ArgumentError, match="act_degree"):
        GRU(2, 2, 1, act_degree=True)


def test_activation_degree_is_part_of_the_atlas_key(tmp_path):
    from tnrnn.rank.store import make_key, open_atlas

    keys = [make_key(2, 2, 1, 4, domain="onehot", cell=c) for c in ("gru", "gru:act_degree=1", "gru:act_degree=3")]
    assert keys[0] == keys[1] and keys[0]["cell"] == "gru" and keys[2]["cell"] == "gru:act_degree=3"
    path = str(tmp_path / "a.sqlite")
    r3 = separation_rank(2, 1, 1, 2, domain="continuous", cell="gru:act_degree=3", cache=path)
    r1 = separation_rank(2, 1, 1, 2, domain="continuous", cell="gru", cache=path)
    assert (r1.rank, r3.rank) == (4, 16) and r3.cell == "gru:act_degree=3"
    assert sorted(r["cell"] for r in open_atlas(path).rows()) == ["gru", "gru:act_degree=3"]
    again = separation_rank(2, 1, 1, 2, domain="continuous", cell="gru:act_degree=3", cache=path)
    assert again == r3


BAD = [
    (["rank", "--cell", "gruu"], "cell='gruu'"),
    (["rank", "--cell", "gru", "--act-degree", "2"], "act_degree=2"),
    (["rank", "--cell", "rac", "--act-degree", "3"], "act_degree=3"),
    (["rank", "--cell", "gru:act_degree=5"], "act_degree=5"),
    (["table", "--cell", "lstm", "--act-degree", "0"], "act_degree=0"),
    (["bounds", "--cell", "mi", "--act-degree", "1"], "act_degree=1"),
    (["draw", "--cell", "gru", "--out", "g.png"], "no tensor network"),
    (["cut", "--cell", "lstm"], "no tensor network"),
    (["network", "--cell", "gru", "--act-degree", "3"], "no tensor network"),
]


@pytest.mark.parametrize(("argv", "needle"), BAD)
def test_bad_input_exits_2_with_one_line(argv, needle, tmp_path, monkeypatch, capsys):
    from tnrnn.cli import main

    monkeypatch.chdir(tmp_path)
    sizes = ["--M", "2", "--R", "2", "--L", "1", "--T", "2"] if argv[0] == "table" else ["--M", "2", "--R", "2"]
    sizes += [] if argv[0] == "table" else ["--L", "1", "--T", "4"]
    try:
        code = main([argv[0], *sizes, *argv[1:]])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0] and out == "", err
    assert list(tmp_path.iterdir()) == []


def test_cli_rank_and_bounds_of_a_gated_cell(capsys):
    import json

    from tnrnn.cli import main

    assert main(["bounds", "--M", "2", "--R", "1", "--L", "1", "--T", "2", "--cell", "gru", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert (b["cell"], b["state_upper"], b["degree_upper"], b["min_cut"]) == ("gru", comb(1 + 3, 3), comb(4, 2), None)
    argv = ["rank", "--M", "1", "--R", "1", "--L", "1", "--T", "2", "--cell", "lstm", "--act-degree", "3"]
    assert main([*argv, "--no-cache", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (
        r["cell"] == "lstm:act_degree=3"
        and r["rank"] <= derived_upper_bounds(LSTM(1, 1, 1, act_degree=3), 2, domain="continuous")["degree_upper"]
    )


def test_a_timeout_keeps_the_rank_of_a_finished_smaller_sample(monkeypatch):
    from tnrnn.rank import engine
    from tnrnn.rank.elimination import EliminationTimeout

    calls = []
    eliminate = engine._Run.eliminate

    def stop_at_the_second(self, Y, p, *args):
        calls.append(Y.shape[0])
        if len(calls) == 2:  # the doubled sample runs out of time after 5 pivots
            raise EliminationTimeout(5)
        return eliminate(self, Y, p, *args)

    monkeypatch.setattr(engine._Run, "eliminate", stop_at_the_second)
    res = separation_rank(2, 2, 2, 4, domain="continuous", cell="gru", N0=16, n_seeds=1)
    assert calls[0] == 16 and res.status == "partial" and res.rank == 16  # the full-rank sample of 16 points
