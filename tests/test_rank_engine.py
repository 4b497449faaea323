"""Rank engine v2: the JAX residue kernel, the elimination engines, the certificate, timeouts and confidence."""

import numpy as np
import pytest

from tnrnn import ArgumentError
from tnrnn._types import parse_partition
from tnrnn.cells import Cell, NumpyModular, make_cell
from tnrnn.cells.arith import residue_width_limit
from tnrnn.primes import is_prime as _is_prime
from tnrnn.rank import (
    BLAS_PRIME_BOUND,
    blas_modular_rank,
    evaluation_matrix,
    failure_bound,
    jax_modular_rank,
    modular_rank,
    one_hot_grid,
    reference_matrix,
    residue_matrix,
    separation_rank,
)
from tnrnn.rank._blas import gemm_update, have_inplace_gemm, matmul
from tnrnn.rank._run import _primes_below
from tnrnn.testing import assert_close, flint_rank, matrix_of_rank

P21 = _primes_below(BLAS_PRIME_BOUND, 1)[0]
P31 = 2**31 - 1  # int64 mode: width * (p-1)^2 < 2^63 for width <= 2


def _python_int_entry(params, p, xs):
    """y(x) mod p of the RAC with Python integers (no numpy, no JAX): an independent evaluation."""
    L = len(params.W_I)
    R = params.W_O.shape[1]
    g = [[1] * R for _ in range(L)]
    h = None
    for x in xs:
        inp = [int(v) for v in x]
        for l in range(L):
            WI, WH = params.W_I[l].tolist(), params.W_H[l].tolist()
            h = [g[l][r] * sum(WI[r][k] * inp[k] for k in range(len(inp))) % p for r in range(R)]
            g[l] = [sum(WH[r][k] * h[k] for k in range(R)) % p for r in range(R)]
            inp = h
    return sum(int(w) * v for w, v in zip(params.W_O[0].tolist(), h, strict=True)) % p


PARTITIONS = ["start-end", "interleaved", "2,4,5;1,3,6", "1,2,3,6;4,5"]  # the third: End owns step 1


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize(("M", "R", "L"), [(2, 2, 1), (2, 3, 2), (3, 2, 3)])
@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_kernel_equals_int64_reference_and_flint(partition, M, R, L, domain):
    T = 6
    part = parse_partition(partition, T)
    cell = make_cell("rac", M, R, L)
    rng = np.random.default_rng(M * 100 + R * 10 + L)
    params = cell.random_residues(P21, rng.integers(2**31))
    if domain == "onehot":
        a, b = one_hot_grid(M, len(part.A)), one_hot_grid(M, len(part.B))
    else:
        a = rng.integers(0, P21, (23, len(part.A), M))
        b = rng.integers(0, P21, (17, len(part.B), M))
    ref = reference_matrix(cell, params, part, a, b, P21)
    v1 = evaluation_matrix(cell, params, NumpyModular(P21), part, a, b)
    kern = residue_matrix(cell, params, part, a, b, P21)
    assert ref.shape == kern.shape == (a.shape[0], b.shape[0])
    np.testing.assert_array_equal(np.mod(kern.astype(np.int64), P21), ref)
    np.testing.assert_array_equal(v1, ref)
    assert np.abs(kern).max() <= P21 // 2  # centred residues
    kern64 = residue_matrix(cell, params, part, a, b, P21, dtype="int64")
    np.testing.assert_array_equal(kern64, ref)
    # spot-check entries against plain Python integers
    for i, j in [(0, 0), (a.shape[0] - 1, b.shape[0] - 1), (1 % a.shape[0], 2 % b.shape[0])]:
        xs = [None] * T
        for k, t in enumerate(part.A):
            xs[t - 1] = a[i, k]
        for k, t in enumerate(part.B):
            xs[t - 1] = b[j, k]
        assert _python_int_entry(params, P21, xs) == ref[i, j]
    assert flint_rank(kern, P21) == flint_rank(ref, P21) == modular_rank(kern, P21)


def test_kernel_int64_large_prime_and_offsets():
    cell = make_cell("rac", 2, 2, 2)
    part = parse_partition("start-end", 4)
    params = cell.random_residues(P31, 3)
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, P31, (9, 2, 2)), rng.integers(0, P31, (5, 2, 2))
    ref = reference_matrix(cell, params, part, a, b, P31)
    out = np.zeros((12, 8), np.int64)
    residue_matrix(cell, params, part, a, b, P31, dtype="int64", out=out, row_offset=2, col_offset=3)
    np.testing.assert_array_equal(out[2:11, 3:8], ref)
    assert not out[:2].any() and not out[:, :3].any()
    with pytest.raises(ArgumentError, match="^p="):
        residue_matrix(cell, params, part, a, b, P31)  # float64 mode needs p < 2^21


def test_residue_width_limit_is_the_exactness_bound():
    h = (P21 + 1) // 2
    n = residue_width_limit(P21)
    assert n * h * h < 2**52 <= (n + 1) * h * h
    assert n >= 4096


@pytest.mark.parametrize(("n", "m", "r"), [(300, 300, 300), (300, 260, 170), (140, 520, 133), (513, 400, 1)])
def test_block_eliminations_equal_flint(n, m, r):
    rng = np.random.default_rng(n + m + r)
    A = matrix_of_rank(rng, n, m, r, P21)
    expected = flint_rank(A, P21)
    assert expected == min(r, n, m)
    assert blas_modular_rank(A, P21) == expected
    assert blas_modular_rank(A.astype(np.float64), P21, overwrite=True) == expected
    assert jax_modular_rank(A, P21, panel=64) == expected
    assert modular_rank(A, P21, engine="jax-block") == expected
    assert modular_rank(A, P21, engine="flint") == expected


def test_inplace_gemm_updates_a_strided_block_only():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((70, 90))
    G, B = rng.standard_normal((50, 7)), rng.standard_normal((7, 60))
    expected = S.copy()
    expected[20:, 30:] -= G @ B
    gemm_update(S[20:, 30:], G, B)
    assert_close(S, expected)
    assert have_inplace_gemm()


def test_blas_matmul_equals_numpy_on_strided_and_integer_blocks():
    rng = np.random.default_rng(1)
    S = rng.integers(-(2**20), 2**20, (80, 90)).astype(np.float64)
    A, B = S[10:50, 5:37], S[40:72, 20:83]  # strided views of one array
    out = matmul(A, B)
    assert out.flags.c_contiguous and out.shape == (40, 63)
    assert np.array_equal(out, A @ B)  # integers below 2^53: exact in any order
    assert np.array_equal(matmul(A[:, ::2], B[::2]), A[:, ::2] @ B[::2])  # non-unit column stride: copied first
    assert np.array_equal(matmul(A[:, :0], B[:0]), np.zeros((40, 63)))


def test_certificate_status_and_failure_bound():
    proven = separation_rank(2, 2, 2, 8, domain="continuous")  # state bound 10 is attained
    assert (proven.rank, proven.status, proven.failure_bound, proven.upper_bound) == (10, "proven", 0.0, 10)
    low = separation_rank(2, 3, 2, 8, domain="continuous", n_seeds=2, confidence="fast")  # 42 < state bound 45
    assert low.status == "lower-bound" and low.rank == 42 and low.upper_bound == 45
    D = make_cell("rac", 2, 3, 2).output_degree(8)
    assert low.degree == D
    expected = 1.0
    for p in low.primes:
        expected *= (42 + 1) * D / p
    assert low.failure_bound == pytest.approx(expected, rel=1e-12)
    assert 0 < low.failure_bound < 1e-4
    # the default certifies over GF(p^2): the prime-field pass counts min(1, 43 D / p), the extension 43 D / p^2
    cert = separation_rank(2, 3, 2, 8, domain="continuous")
    assert (cert.rank, cert.status, cert.confidence) == (42, "lower-bound", "certified")
    p, q = cert.primes
    assert cert.extra["fields"] == [f"GF({p})", f"GF({q}^2)"]
    assert cert.failure_bound == pytest.approx(min(1.0, 43 * D / p) * 43 * D / q**2, rel=1e-12)
    assert cert.failure_bound <= 1e-6
    assert "certified lower bound" in low.summary() and "42" in low.summary()
    assert "proven exact" in proven.summary()


def test_output_degree_counted_by_hand():
    # shallow RAC, T = 2: y = W_O [(W_H (W_I x1)) ⊙ (W_I x2)]: degree 1 + (1 + 1 + 1) + (1 + 1) = 6 in weights and
    # inputs; 4 in weights alone (one-hot inputs are fixed)
    cell = make_cell("rac", 2, 2, 1)
    assert cell.output_degree(2) == 6
    assert cell.output_degree(2, input_degree=0) == 4
    # one step more adds W_H, W_I and x: 3
    assert cell.output_degree(3) == 9
    # depth 2, T = 1: y = W_O (W_I2 (W_I1 x)): 4
    assert make_cell("rac", 2, 2, 2).output_degree(1) == 4


def test_failure_bound_formula():
    assert failure_bound(9, 10, [1000, 2000], [20, 20]) == pytest.approx((100 / 1000) * (100 / 2000))
    assert failure_bound(9, 10, [1000, 2000], [20, 5]) == pytest.approx(100 / 1000)  # too small: no information
    assert failure_bound(9, 1000, [1000], [20]) == 1.0


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


def test_one_hot_grid_is_lexicographic():
    g = one_hot_grid(3, 2)
    assert g.shape == (9, 2, 3)
    assert [tuple(np.argmax(g[i], axis=1)) for i in range(9)] == [(i, j) for i in range(3) for j in range(3)]


def test_primes_are_prime_and_distinct():
    ps = _primes_below(BLAS_PRIME_BOUND, 5)
    assert len(set(ps)) == 5 and all(_is_prime(p) and p < BLAS_PRIME_BOUND for p in ps)


def test_numpy_modular_matches_python():
    ar = NumpyModular(97)
    W = np.array([[1, 96], [50, 3]])
    v = np.array([[5, 7]])
    assert ar.matvec(W, v).tolist() == [[(5 + 96 * 7) % 97, (250 + 21) % 97]]


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


@pytest.mark.parametrize("w", [32, 64, 200, 256])
def test_blockwise_inverse_mod_p(w):
    from tnrnn.rank._block import _inverse, _reduce

    rng = np.random.default_rng(w)
    A = _reduce(rng.integers(0, P21, (w, w)).astype(float), P21)
    X = _inverse(A, P21)
    np.testing.assert_array_equal(_reduce(A @ X, P21), np.eye(w))
    S = np.zeros((w, w))  # singular leading blocks: the FLINT fallback
    S[: w // 2, w // 2 :] = np.eye(w // 2)
    S[w // 2 :, : w // 2] = np.eye(w - w // 2)[:, : w // 2] if w % 2 == 0 else 0
    if w % 2 == 0:
        np.testing.assert_array_equal(_reduce(S @ _inverse(S, P21), P21), np.eye(w))


@pytest.mark.parametrize("partition", ["start-end", "interleaved"])
def test_kernel_long_schedules_split_into_calls(partition):
    from tnrnn.rank import evaluation

    T = 2 * evaluation._GROUP + 6  # more remaining steps than one fused call takes
    part = parse_partition(partition, T)
    cell = make_cell("rac", 2, 2, 2)
    params = cell.random_residues(P21, 7)
    rng = np.random.default_rng(7)
    a = rng.integers(0, P21, (5, len(part.A), 2))
    b = rng.integers(0, P21, (6, len(part.B), 2))
    ref = reference_matrix(cell, params, part, a, b, P21)
    got = residue_matrix(cell, params, part, a, b, P21)
    np.testing.assert_array_equal(np.mod(got.astype(np.int64), P21), ref)
    assert len(evaluation._groups(("c",) * (evaluation._GROUP + 3))) == 4
