"""Rank engine v2: the JAX residue kernel, the elimination engines, the certificate, timeouts and confidence."""

import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn._types import parse_partition
from tnrnn.cells import Cell
from tnrnn.primes import is_prime as _is_prime
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    reference_matrix,
    residue_matrix,
    separation_rank,
)
from tnrnn.rank._run import _primes_below
from tnrnn.testing import assert_close, flint_rank

P21 = _primes_below(BLAS_PRIME_BOUND, 1)[0]
P31 = 2**31 - 1  # int64 mode: width * (p-1)^2 < 2^63 for width <= 2


def test_rigorous_confidence_same_rank_smaller_bound():
    std = separation_rank(2, 2, 3, 8, domain="continuous", confidence="fast")
    rig = separation_rank(2, 2, 3, 8, domain="continuous", confidence="rigorous")
    assert rig.rank == std.rank == 106
    assert all(p > 2**30 for p in rig.primes) and rig.extra["elimination"] == "flint"
    assert rig.status == "lower-bound" and rig.failure_bound <= 1e-6 < std.failure_bound
    assert rig.confidence == "rigorous"


def test_timeout_returns_partial_lower_bound():
    full = separation_rank(3, 3, 3, 6, domain="continuous", n_seeds=1)
    part = separation_rank(3, 3, 3, 6, domain="continuous", n_seeds=1, timeout=1e-9)
    assert part.status == "partial" and part.failure_bound is None
    assert 0 <= part.rank <= full.rank
    assert "timeout" in part.extra["stopped"]


def test_max_N_partial_and_proven_cap():
    r = separation_rank(2, 2, 3, 8, domain="continuous", max_N=50, n_seeds=1)
    assert r.status == "partial" and r.rank == 50 and r.N == (50, 50)


def test_evaluation_paths_agree_on_rank_and_growth():
    a = separation_rank(2, 2, 3, 10, domain="continuous", evaluation="jax", n_seeds=1)
    b = separation_rank(2, 2, 3, 10, domain="continuous", evaluation="numpy", n_seeds=1)
    assert a.rank == b.rank == 188 and a.N == b.N
    assert "blas-block" in a.extra["elimination"]


def test_growth_doubles_then_jumps_to_the_cap():
    from tnrnn.rank._run import _JUMP, _next_size

    cap = 8569
    sizes, N = [], 64
    while N < cap:
        N = _next_size(N, cap, cap)
        sizes.append(N)
    assert sizes[-1] == cap and all(b == 2 * a for a, b in zip([64, *sizes[:-2]], sizes[:-1], strict=True))
    assert 2 * sizes[-2] >= _JUMP * cap > sizes[-2]  # the jump comes from the first doubling past the fraction
    assert _next_size(100, 150, None) == 150 and _next_size(10, 10_000, None) == 20  # no cap: doubling, limited


class SquareRac(Cell):
    """A user's cell: the RAC with its hidden state squared (written against the arithmetic only)."""

    name = "square-rac-test"

    def param_shapes(self):
        return {"W_I": (self.R, self.M), "W_H": (self.R, self.R), "W_O": (self.K, self.R)}

    def initial_carry(self, params, ar, like):
        return ar.ones(self.R, like)

    def step(self, params, carry, x, ar):
        h = ar.mul(carry, ar.matvec(params["W_I"], x))
        return ar.matvec(params["W_H"], ar.mul(h, h)), h

    def readout(self, params, h, ar):
        return ar.matvec(params["W_O"], h)


def test_a_cell_defined_outside_the_package():
    cell = SquareRac(2, 2, 1)
    part = parse_partition("start-end", 4)
    params = cell.random_residues(P21, 0)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, P21, (30, 2, 2)), rng.integers(0, P21, (30, 2, 2))
    ref = reference_matrix(cell, params, part, a, b, P21)
    np.testing.assert_array_equal(np.mod(residue_matrix(cell, params, part, a, b, P21).astype(np.int64), P21), ref)
    res = separation_rank(2, 2, 1, 4, domain="continuous", cell=cell, max_N=40)
    assert res.cell == "square-rac-test" and res.rank == flint_rank(ref, P21)
    derived = cell.proven_upper_bounds(4, domain="continuous", partition="start-end")  # from the step, generically
    assert res.upper_bound == min(derived.values()) >= res.rank
    assert res.status in ("proven", "lower-bound")


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"confidence": "sure"}, "confidence"),
        ({"elimination": "gauss"}, "elimination"),
        ({"evaluation": "gpu"}, "evaluation"),
        ({"cell": "elman"}, "cell"),
        ({"max_N": 0}, "max_N"),
    ],
)
def test_bad_arguments_are_refused_before_work(kwargs, name):
    with pytest.raises(ArgumentError, match=f"^{name}="):
        separation_rank(2, 2, 2, 4, domain="continuous", **kwargs)


def test_huge_requests_are_refused_up_front():
    from tnrnn import MemoryRefusal

    spec = "1;" + ",".join(str(t) for t in range(2, 31))  # 2 x 2^29 grid: version 2 refused it, version 1 built it
    res = separation_rank(2, 2, 1, 30, domain="onehot", partition=spec)  # a sample of the grid reaches the cap 2
    assert (res.rank, res.status) == (2, "proven") and res.N[1] < 2**10
    with pytest.raises(MemoryRefusal, match="^T="):
        separation_rank(8, 8, 4, 40, domain="continuous")  # refused from the proven cap, before growing


def test_primes_are_prime_and_distinct():
    ps = _primes_below(BLAS_PRIME_BOUND, 5)
    assert len(set(ps)) == 5 and all(_is_prime(p) and p < BLAS_PRIME_BOUND for p in ps)


def test_tolerance_overrides_do_not_leak():
    from tnrnn.testing import TOLERANCES, tolerance

    before = dict(TOLERANCES["float64"])
    assert_close(1.0, 1.0 + 1e-3, rtol=1e-2)  # an override for this call only
    assert tolerance("float64") == before == TOLERANCES["float64"]
    with pytest.raises(AssertionError):
        assert_close(1.0, 1.0 + 1e-3)


def test_cell_protocol_float_rac_equals_the_version1_forward():
    import jax
    import jax.numpy as jnp

    from tnrnn.rac import init_rac, rac_forward, rac_outputs

    model = init_rac(3, 4, 3, key=jax.random.PRNGKey(5), K=2)
    xs = jax.random.normal(jax.random.PRNGKey(6), (7, 3))

    def v1_forward(model, xs):  # the version-1 recurrence, written out here independently
        g = [jnp.ones(model.R) for _ in range(model.L)]
        outs = []
        for x in xs:
            inp = x
            for l in range(model.L):
                h = g[l] * (model.W_I[l] @ inp)
                g[l] = model.W_H[l] @ h
                inp = h
            outs.append(model.W_O @ inp)
        return jnp.stack(outs)

    expected = v1_forward(model, xs)
    assert_close(rac_outputs(model, xs), expected)
    assert_close(rac_forward(model, xs), expected[-1])


def test_plan_times_count_narrow_storage_and_the_certificate(monkeypatch, capsys):
    from tnrnn.cli.rank import _plan_printer
    from tnrnn.rank import engine

    big = engine.plan(3, 4, 3, 8, domain="continuous")  # side 40040: stored narrow
    assert big["certify_seconds"] > big["estimate_seconds"] > 0
    monkeypatch.setattr(engine, "_is_wide", lambda shape, k=1: True)  # as if it were stored float64
    assert engine.plan(3, 4, 3, 8, domain="continuous")["estimate_seconds"] < big["estimate_seconds"]
    _plan_printer("certified")(big)
    certified = capsys.readouterr().err
    _plan_printer("fast")(big)
    fast = capsys.readouterr().err
    assert "prime-field pass" in certified and "GF(p^2)" in certified and "40040 x 40040" in certified
    assert "per repetition" in fast and "GF" not in fast
    _plan_printer("certified")(engine.plan(2, 2, 1, 4, domain="continuous"))  # instant: nothing printed
    assert capsys.readouterr().err == ""
    assert "grid" not in certified  # continuous: no grid


def test_plan_line_names_the_one_hot_grid_a_short_sample_falls_back_to(capsys):
    from tnrnn.cli.rank import _plan_printer
    from tnrnn.rank import engine

    # (M, R, L, T) = (2, 4, 2, 28) one-hot: samples up to the cap 2720, but rank 2660 falls short of it, and the
    # run then evaluates the whole 16384 x 16384 grid
    info = engine.plan(2, 4, 2, 28, domain="onehot")
    assert info["shape"] == (2720, 2720) and info["grid"] == (16384, 16384)
    _plan_printer("certified")(info)
    err = capsys.readouterr().err
    assert "matrix up to 2720 x 2720" in err and "the whole 16384 x 16384 grid" in err
    _plan_printer("certified")(dict(info, grid=info["shape"]))  # a sample as large as the grid: nothing to add
    assert "whole" not in capsys.readouterr().err
