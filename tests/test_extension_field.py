"""The certified default: GF(p^2) arithmetic, its elimination, narrow storage, one-hot sampling, partial results.

Every exact path over the extension field is checked against FLINT's ``fq_default`` (GF(p^2) with the modulus
``i^2 + 1``) or its ``nmod_mat`` over the regular representation, entry for entry or rank for rank.
"""

import itertools
import types
from fractions import Fraction

import flint
import numpy as np
import pytest

from tnrnn._types import parse_partition
from tnrnn.cells import make_cell
from tnrnn.cells.arith import EXTENSION_PRIME_BOUND, ExtensionArith, is_extension_prime
from tnrnn.cells.base import cell_names
from tnrnn.rank import separation_rank
from tnrnn.rank._run import _extension_primes, _primes_below
from tnrnn.rank.elimination import blas_modular_rank, flint_modular_rank, jax_modular_rank, modular_rank
from tnrnn.rank.evaluation import extension_matrix, one_hot_grid, reference_matrix, residue_matrix
from tnrnn.testing import extension_matrix_of_rank, flint_extension_rank, flint_rank, matrix_of_rank

P = _extension_primes(8, 1)[0]  # the largest prime = 3 mod 4 below 2^22
P21 = _primes_below(2**21, 1)[0]
CTX = flint.fq_default_ctx(P, 2, "i", modulus=flint.fmpz_mod_poly_ctx(P)([1, 0, 1]))
I = CTX.gen()


def _el(v):
    return CTX(int(v[0]) % P) + CTX(int(v[1]) % P) * I


def _el_complex(z):
    return CTX(int(round(z.real)) % P) + CTX(int(round(z.imag)) % P) * I


class _FlintField:
    """The arithmetic interface over FLINT's GF(p^2) elements: an independent evaluation of any cell."""

    def matvec(self, W, v):
        return [sum((_el(W[r, k]) * v[k] for k in range(W.shape[1])), CTX(0)) for r in range(W.shape[0])]

    def mul(self, u, v):
        return [x * y for x, y in zip(u, v, strict=True)]

    def add(self, u, v):
        return [x + y for x, y in zip(u, v, strict=True)]

    def scale(self, c, v):
        return [_el(c[r]) * v[r] for r in range(len(v))]

    def param(self, c, like):
        return [_el(c[r]) for r in range(c.shape[0])]

    def bilinear(self, A, u, v):
        n_out, n_u, n_v = A.shape[:3]
        return [
            sum((_el(A[r, i, j]) * u[i] * v[j] for i in range(n_u) for j in range(n_v)), CTX(0)) for r in range(n_out)
        ]

    def ones(self, n, like):
        return [CTX(1)] * n

    def zeros(self, n, like):
        return [CTX(0)] * n

    def const(self, q, n, like):
        q = Fraction(q)
        return [CTX(q.numerator) / CTX(q.denominator)] * n

    def first(self, v):
        return v[0]


def _flint_entry(cell, params, part, a, b):
    xs = [None] * part.T
    for k, t in enumerate(part.A):
        xs[t - 1] = [_el(a[k, m]) for m in range(cell.M)]
    for k, t in enumerate(part.B):
        xs[t - 1] = [_el(b[k, m]) for m in range(cell.M)]
    ar = _FlintField()
    carry, h = cell.initial_carry(params, ar, None), None
    for x in xs:
        carry, h = cell.step(params, carry, x, ar)
    return ar.first(cell.readout(params, h, ar))


def test_extension_primes_make_a_field():
    assert is_extension_prime(P) and P < EXTENSION_PRIME_BOUND and P > 2**21.5
    assert CTX.gen() ** 2 == CTX(-1)  # -1 is a non-residue: i^2 + 1 is irreducible
    # a wide cell gets a smaller prime, so that its sums stay exact
    assert all(q % 4 == 3 for q in _extension_primes(4096, 3)) and _extension_primes(4096, 1)[0] < P


@pytest.mark.parametrize("name", cell_names())
@pytest.mark.parametrize("partition", ["start-end", "interleaved", "1,4;2,3"])
@pytest.mark.parametrize("domain", ["continuous", "onehot"])
def test_kernel_and_numpy_path_equal_flint_entry_for_entry(name, partition, domain):
    cell = make_cell(name, 2, 2, 2)
    part = parse_partition(partition, 4)
    params = cell.random_residues(P, 5, degree=2)
    gen = np.random.default_rng(7)
    if domain == "onehot":
        a, b = (one_hot_grid(2, len(s)) for s in (part.A, part.B))
        a, b = (np.stack([x, np.zeros_like(x)], -1) for x in (a, b))
    else:
        a = gen.integers(0, P, (3, len(part.A), 2, 2))
        b = gen.integers(0, P, (4, len(part.B), 2, 2))
    kernel = residue_matrix(cell, params, part, a, b, P, dtype="extension")
    host = extension_matrix(cell, params, part, a, b, P)
    assert kernel.dtype == np.complex128 and np.array_equal(kernel, host)
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            assert _el_complex(kernel[i, j]) == _flint_entry(cell, params, part, a[i], b[j])


@pytest.mark.parametrize(("L", "T"), [(2, 10), (3, 10), (4, 12), (4, 30)])
def test_extension_kernel_fused_whole_or_in_groups_agree(L, T, monkeypatch):
    from tnrnn.rank import evaluation

    steps = T // 2
    cell = make_cell("rac", 2, 2, L)
    fused = evaluation._fused_steps(cell, steps, "extension")
    assert fused == min(steps, evaluation._FUSE_LAYER_STEPS // L)  # (4, 30): 15 steps x 4 layers, in calls of 12
    part = parse_partition("start-end", T)
    params = cell.random_residues(P, 3, degree=2)
    gen = np.random.default_rng(3)
    a = gen.integers(0, P, (5, steps, 2, 2))
    b = gen.integers(0, P, (6, steps, 2, 2))
    first = residue_matrix(cell, params, part, a, b, P, dtype="extension")
    monkeypatch.setattr(evaluation, "_GROUP_EXTENSION", 2)  # one step per call, then the last two fused
    monkeypatch.setattr(evaluation, "_KERNELS", {})
    assert evaluation._fused_steps(cell, steps, "extension") == 2
    other = residue_matrix(cell, params, part, a, b, P, dtype="extension")
    assert np.array_equal(first, other)
    assert np.array_equal(first, extension_matrix(cell, params, part, a, b, P))


@pytest.mark.parametrize(("L", "T", "partition"), [(4, 30, "start-end"), (2, 12, "interleaved")])
def test_long_extension_schedule_runs_whole_with_the_loop_emitter(L, T, partition, monkeypatch):
    """A GF(p^2) schedule the fusion emitters split runs in one call compiled with XLA's loop emitter on the CPU, with
    the same exact values as the split calls and the numpy path; a shorter call limit splits it again."""
    from tnrnn.rank import evaluation

    cell = make_cell("rac", 2, 2, L)
    part = parse_partition(partition, T)
    steps = T - part.prefix_side[1]
    monkeypatch.setattr(evaluation, "_GROUP_EXTENSION", 3)  # the fusion emitters' rule: calls of at most 3 steps
    assert evaluation._calls(cell, steps, "extension") == (steps, True)
    assert evaluation._calls(cell, steps, "float64") == (evaluation._fused_steps(cell, steps, "float64"), False)
    assert evaluation._calls(cell, steps, "int64")[1] is False  # word-size primes keep the fusion emitters
    params = cell.random_residues(P, 4, degree=2)
    gen = np.random.default_rng(4)
    a = gen.integers(0, P, (5, len(part.A), 2, 2))
    b = gen.integers(0, P, (6, len(part.B), 2, 2))
    monkeypatch.setattr(evaluation, "_KERNELS", {})
    whole = residue_matrix(cell, params, part, a, b, P, dtype="extension")
    (key,) = evaluation._KERNELS  # one kernel: the whole schedule, loop emitter
    assert len(key[2]) == steps and key[-1] is True
    assert np.array_equal(whole, extension_matrix(cell, params, part, a, b, P))
    monkeypatch.setattr(evaluation, "_cpu_backend", lambda: False)  # another backend: the fusion emitters' calls
    monkeypatch.setattr(evaluation, "_KERNELS", {})
    assert np.array_equal(whole, residue_matrix(cell, params, part, a, b, P, dtype="extension"))
    assert len(evaluation._KERNELS) > 1 and not any(k[-1] for k in evaluation._KERNELS)
    monkeypatch.setattr(evaluation, "_cpu_backend", lambda: True)
    monkeypatch.setattr(evaluation, "_LOOP_GROUP", 4)  # past the loop emitter's call limit: steps, then calls of 4
    monkeypatch.setattr(evaluation, "_KERNELS", {})
    assert evaluation._calls(cell, steps, "extension") == (4, True)
    assert np.array_equal(whole, residue_matrix(cell, params, part, a, b, P, dtype="extension"))
    assert all(k[-1] for k in evaluation._KERNELS) and len(evaluation._KERNELS) > 1


def test_a_jaxlib_without_the_loop_emitter_option_keeps_the_split_calls(monkeypatch):
    from tnrnn.rank import evaluation

    monkeypatch.setattr(evaluation, "_LOOP_EMITTER", {"xla_no_such_option_for_this_test": False})
    monkeypatch.setattr(evaluation, "_LOOP_KNOWN", [])
    assert evaluation._loop_emitter_known() is False
    cell = make_cell("rac", 2, 4, 2)
    assert evaluation._calls(cell, 17, "extension") == (evaluation._fused_steps(cell, 17, "extension"), False)
    monkeypatch.setattr(evaluation, "_LOOP_EMITTER", {"xla_cpu_use_fusion_emitters": False})
    monkeypatch.setattr(evaluation, "_LOOP_KNOWN", [])
    assert evaluation._calls(cell, 17, "extension") == (17, True)


def test_long_prime_field_schedule_runs_whole_with_the_loop_emitter(monkeypatch):
    """The float64 prime-field kernel takes the loop emitter the same way, with the reference values."""
    from tnrnn.rank import evaluation
    from tnrnn.rank.evaluation import reference_matrix

    cell = make_cell("rac", 2, 2, 3)
    part = parse_partition("start-end", 16)
    monkeypatch.setattr(evaluation, "_GROUP", 3)
    assert evaluation._calls(cell, 8, "float64") == (8, True)
    p = 2097143
    params = cell.random_residues(p, 6)
    gen = np.random.default_rng(6)
    a, b = gen.integers(0, p, (5, 8, 2)), gen.integers(0, p, (4, 8, 2))
    monkeypatch.setattr(evaluation, "_KERNELS", {})
    got = residue_matrix(cell, params, part, a, b, p)
    assert [k[-1] for k in evaluation._KERNELS] == [True]
    np.testing.assert_array_equal(np.mod(got.astype(np.int64), p), reference_matrix(cell, params, part, a, b, p))


def test_complex_update_is_exact_at_the_panel_bound():
    """The largest centred residues over a full panel: zgemm(3m) still gives every part exactly."""
    from tnrnn.rank import _blas

    H = (P - 1) // 2 + 2
    gen = np.random.default_rng(9)
    A = gen.choice([-H, H], (64, 256)) + 1j * gen.choice([-H, H], (64, 256))
    B = gen.choice([-H, H], (256, 80)) + 1j * gen.choice([-H, H], (256, 80))
    C = np.full((64, 80), float(P) + 1j * P)
    _blas.gemm_update(C, A, B)
    Ar, Ai, Br, Bi = (np.rint(x).astype(np.int64).astype(object) for x in (A.real, A.imag, B.real, B.imag))
    assert np.array_equal(C.real.astype(np.int64).astype(object), P - (Ar @ Br - Ai @ Bi))
    assert np.array_equal(C.imag.astype(np.int64).astype(object), P - (Ar @ Bi + Ai @ Br))


def test_extension_arith_stays_exact_at_its_width_limit():
    """The widest sum the limit allows, of the largest centred residues, is exact (no float rounding)."""
    from tnrnn.cells.arith import extension_width_limit

    n = extension_width_limit(P)
    h = (P + 1) // 2
    W = np.full((1, n), float(h) - 1j * h)
    v = [np.array([float(h) + 1j * h])] * n
    z = ExtensionArith(P, np).matvec(W, v)[0]
    # (h - h i)(h + h i) = 2 h^2, summed n times; reduced exactly
    assert int(z.real[0]) % P == (2 * h * h * n) % P and int(z.imag[0]) % P == 0


def _gf_matrix(gen, n, m, r):
    return extension_matrix_of_rank(gen, n, m, r, P)


def _regular_rank(C):
    return flint_extension_rank(C, P)


def _gauss_rank(C):
    """The rank over GF(p^2) by Gaussian elimination on FLINT's field elements (small matrices)."""
    rows = [[_el_complex(z) for z in row] for row in C]
    rank, col, n, m = 0, 0, len(rows), len(rows[0])
    while rank < n and col < m:
        piv = next((i for i in range(rank, n) if rows[i][col] != 0), None)
        if piv is None:
            col += 1
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        inv = 1 / rows[rank][col]
        for i in range(rank + 1, n):
            f = rows[i][col] * inv
            rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank], strict=True)]
        rank, col = rank + 1, col + 1
    return rank


@pytest.mark.parametrize("use_3m", [True, False])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_extension_elimination_equals_flint(dtype, use_3m, monkeypatch):
    from tnrnn.rank import _blas

    monkeypatch.setattr(_blas, "USE_3M", use_3m)  # zgemm3m (three real products) and zgemm (four)
    gen = np.random.default_rng(3)
    for n, m, r in [(300, 300, 300), (400, 260, 250), (129, 140, 100), (520, 600, 513)]:
        C = _gf_matrix(gen, n, m, r)
        C[:7] = 0  # a singular leading block: the pivot search must look further down
        C[50] = C[60]
        expected = _regular_rank(C)
        assert blas_modular_rank(C.astype(dtype), P, overwrite=True) == expected
        assert modular_rank(C.astype(dtype), P) == expected
        assert jax_modular_rank(C.astype(dtype), P) == expected  # the accelerator's engine, here on the CPU
    small = _gf_matrix(gen, 12, 15, 9)
    assert flint_modular_rank(small, P) == _gauss_rank(small) == 9


def _largest_start(H: int, k: int, extension: bool) -> int:
    """The largest bound on the trailing block at which the engine still starts an update of ``k`` columns."""
    from tnrnn.rank._block import _update_bounds

    gain, peak, limit = _update_bounds(H, extension)
    bound, last = H, None
    while bound + k * peak <= limit:
        last, bound = bound, bound + k * gain
    return last


@pytest.mark.parametrize("use_3m", [True, False])
def test_complex_update_is_exact_at_the_largest_bound_the_engine_allows(use_3m, monkeypatch):
    """The BLAS update at its worst case: entries at the largest bound an update may start from, every product at
    its largest part (``(H + H i)^2 = 2 H^2 i``; zgemm3m's ``(a + b)(c + d)`` then ``4 H^2``) and of the sign that
    grows the entry. Checked against Python integers: a bound counted too loosely (say ``2 H^2`` for zgemm3m's
    intermediate) starts an update at ``2^52`` and rounds."""
    from tnrnn.rank import _blas

    monkeypatch.setattr(_blas, "USE_3M", use_3m)
    H, k = (P - 1) // 2 + 2, 256
    B = _largest_start(H, k, True)
    assert B > H  # more than one update between reductions
    G = np.full((64, k), H + 1j * H)
    SI = np.full((k, 48), H + 1j * H)
    C = np.full((64, 48), -B - 1j * B)
    _blas.gemm_update(C, G, SI)  # C -= G SI: each entry's imaginary part goes from -B to -B - 2 k H^2
    assert np.all(C.real == -B) and np.all(C.imag == -B - 2 * k * H * H)
    assert B + 2 * k * H * H < 2**53 and B + 4 * k * H * H <= 2**53


def test_complex_elimination_reduces_the_block_less_often_and_stays_exact(monkeypatch):
    """For the largest prime the trailing block is reduced after three GF(p^2) updates (two when each update was
    counted at ``4 H^2``), and every update the engine makes starts where the worst case of its entries (the
    updates since the last reduction) keeps every partial sum within ``2^53``."""
    from tnrnn.rank import _block

    H, seen = (P - 1) // 2 + 2, []
    update = _block.gemm_update

    def watched(C, G, SI):
        since = 0 if np.abs(C.real).max() <= H and np.abs(C.imag).max() <= H else seen[-1] + 1
        assert H + since * G.shape[1] * 2 * H * H + G.shape[1] * 4 * H * H <= 2**53
        seen.append(since)
        update(C, G, SI)

    monkeypatch.setattr(_block, "gemm_update", watched)
    C = _gf_matrix(np.random.default_rng(8), 1400, 1400, 1390)
    assert blas_modular_rank(C, P) == 1390
    assert max(seen) == 2


@pytest.mark.parametrize("panel", [256, 64])
def test_narrow_prime_field_elimination_equals_flint(panel):
    """Narrow panels: the generic path (pivots among the first rows), a singular leading block, dependent rows."""
    gen = np.random.default_rng(4)
    for n, m, r in [(300, 280, 270), (700, 520, 511), (1200, 300, 290)]:
        A = matrix_of_rank(gen, n, m, r, P21)
        A[:5] = 0  # the pivots are searched among the first width + 8 rows
        expected = flint_rank(A, P21)
        assert blas_modular_rank(A.astype(np.float32), P21, panel=panel, overwrite=True) == expected == r
    B = matrix_of_rank(gen, 900, 400, 380, P21)
    B[1:100] = B[0]  # too few independent rows up front: the panel is widened whole
    assert blas_modular_rank(B.astype(np.float32), P21, panel=panel) == flint_rank(B, P21)


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_narrow_update_in_column_tiles_equals_flint(dtype, monkeypatch):
    """Tiles narrower than the trailing block (several column tiles a row block, ragged edges) change nothing."""
    import tnrnn.rank._block as block

    monkeypatch.setattr(block, "_TILE_COLS", 48)
    monkeypatch.setattr(block, "_TILE_ENTRIES", 48 * 40)
    gen = np.random.default_rng(6)
    if dtype is np.float32:
        A = matrix_of_rank(gen, 500, 430, 401, P21)
        assert blas_modular_rank(A.astype(dtype), P21, panel=64) == flint_rank(A, P21) == 401
    else:
        C = _gf_matrix(gen, 300, 250, 233)
        assert blas_modular_rank(C.astype(dtype), P, panel=64) == _regular_rank(C) == 233


def test_narrow_default_panel_equals_the_wide_engine():
    """More than 4 x 264 live rows: the default narrow panel's generic path, against float64 storage."""
    gen = np.random.default_rng(5)
    A = matrix_of_rank(gen, 1500, 1300, 1250, P21)
    assert blas_modular_rank(A.astype(np.float32), P21) == blas_modular_rank(A, P21) == 1250


def test_narrow_panel_multipliers_equal_the_wide_panel():
    from tnrnn.rank._block import _panel_fast, _panel_narrow, _reduce

    gen = np.random.default_rng(6)
    P = _reduce(matrix_of_rank(gen, 600, 64, 64, P21).astype(np.float64), P21)
    P[:3] = 0  # a singular leading block
    wide, narrow = _panel_fast(P, P21), _panel_narrow(P.astype(np.float32), P21)
    assert narrow[2].dtype == np.float32
    for a, b in zip(wide, narrow, strict=True):
        np.testing.assert_array_equal(a, b)


# reference values: (M, R, L, T, domain) -> rank, from the prime-field engine (and the committed atlas)
REFERENCE = {
    (2, 2, 2, 8, "continuous"): 10,
    (2, 3, 2, 8, "continuous"): 42,
    (2, 3, 2, 8, "onehot"): 16,
    (2, 2, 3, 8, "continuous"): 106,
    (3, 2, 3, 4, "onehot"): 6,
}


@pytest.mark.parametrize("sizes", sorted(REFERENCE))
def test_certified_default_equals_fast_and_meets_the_target(sizes):
    *mrlt, domain = sizes
    cert = separation_rank(*mrlt, domain=domain)
    fast = separation_rank(*mrlt, domain=domain, confidence="fast")
    assert cert.rank == fast.rank == REFERENCE[sizes]
    assert cert.confidence == "certified" and cert.status in ("proven", "lower-bound")
    assert cert.status == "proven" or cert.failure_bound <= 1e-6


def test_rank_equal_to_its_min_cut_is_proven():
    """(M, R, L, T) = (4, 2, 2, 8) one-hot, interleaved: rank 128 = min-cut, below every closed form."""
    res = separation_rank(4, 2, 2, 8, domain="onehot", partition="interleaved")
    assert res.extra["bounds"]["min_cut"] == 128 == res.upper_bound == res.rank
    assert res.status == "proven" and min(v for k, v in res.extra["bounds"].items() if k != "min_cut") > 128


@pytest.mark.parametrize("seed", range(4))
def test_one_hot_sampled_rank_equals_full_grid_rank(seed):
    gen = np.random.default_rng(seed)
    name = ["rac", "mi", "quad", "bilinear"][seed]
    M, R, L, T = int(gen.integers(2, 4)), int(gen.integers(2, 4)), int(gen.integers(1, 4)), 6
    res = separation_rank(M, R, L, T, domain="onehot", cell=name, seed=seed, N0=4)
    cell = make_cell(name, M, R, L)
    part = parse_partition("start-end", T)
    params = cell.random_residues(P21, seed + 100)
    Y = reference_matrix(cell, params, part, one_hot_grid(M, 3), one_hot_grid(M, 3), P21)
    assert res.rank == flint_rank(Y, P21)  # the whole grid at other random weights (generic rank, whp)


def test_huge_one_hot_grids_stop_at_the_cap():
    """The issue's cases: shallow T = 28 (a 16384 x 16384 grid before) and depth 2 at T = 36 (2^18 x 2^18)."""
    for L, T in [(1, 28), (2, 36)]:
        res = separation_rank(2, 2, L, T, domain="onehot")
        assert res.status == "proven" and res.rank == res.upper_bound and max(res.N) <= 256


def test_partial_keeps_the_largest_certified_stage(monkeypatch):
    """A timeout during a later stage reports the rank a completed stage proved, not the interrupted one's."""
    from tnrnn.rank import engine
    from tnrnn.rank.elimination import EliminationTimeout

    calls = []
    real = engine._Run.eliminate

    def eliminate(self, Y, p):
        calls.append(Y.shape[0])
        if len(calls) == 3:
            raise EliminationTimeout(5)  # the third elimination is stopped after 5 pivots
        return real(self, Y, p)

    monkeypatch.setattr(engine._Run, "eliminate", eliminate)
    res = separation_rank(2, 3, 3, 8, domain="continuous", N0=16)  # full-rank stages of 16 and 32 points
    assert calls[:2] == [16, 32] and res.status == "partial" and res.rank == 32
    assert res.extra["stopped"].startswith("timeout")


def test_gf_stage_after_a_prime_field_under_count_grows_and_evaluates_whole(monkeypatch):
    """The GF(p^2) stage keeps no copy for growth: when the prime field under-counted (simulated here), it grows
    and evaluates each larger matrix whole, and finds the rank."""
    from tnrnn.rank import engine

    real_eliminate, real_evaluate = engine._Run.eliminate, engine._Run.evaluate
    blocks = []

    def eliminate(self, Y, p):
        r = real_eliminate(self, Y, p)
        return max(0, r - 3) if Y.dtype.kind == "f" else r  # the prime field loses three pivots

    def evaluate(self, params, p, dtype, a, b, out, r0=0, c0=0):
        if dtype == "extension" and a.shape[0] and b.shape[0]:
            blocks.append((r0, c0, a.shape[0], b.shape[0], out.shape))
        return real_evaluate(self, params, p, dtype, a, b, out, r0, c0)

    monkeypatch.setattr(engine._Run, "eliminate", eliminate)
    monkeypatch.setattr(engine._Run, "evaluate", evaluate)
    res = separation_rank(2, 2, 3, 8, domain="continuous", N0=16, cache=None)
    assert res.rank == REFERENCE[(2, 2, 3, 8, "continuous")] and res.failure_bound <= 1e-6
    assert len(blocks) >= 2  # the GF(p^2) sample grew
    assert all(r0 == c0 == 0 and (n, m) == out for r0, c0, n, m, out in blocks)  # each matrix evaluated whole


def test_library_refuses_an_impossible_number_of_repetitions():
    from tnrnn import ArgumentError

    with pytest.raises(ArgumentError, match="^n_seeds=1000000000000 "):
        separation_rank(2, 2, 1, 4, domain="continuous", n_seeds=10**12, confidence="fast")


def test_a_gf_stage_that_would_not_fit_stops_as_partial(monkeypatch):
    """The prime field's rank is kept, the status is partial (never a lower bound with a vacuous failure bound)."""
    from tnrnn.rank import _run

    fast = separation_rank(2, 2, 3, 10, domain="continuous", confidence="fast", n_seeds=1, cache=None)
    assert fast.status == "lower-bound" and fast.rank < fast.upper_bound
    monkeypatch.setattr(_run, "_refusal", lambda shape, k, credit=0: "too large here" if k == 2 else "")
    res = separation_rank(2, 2, 3, 10, domain="continuous", cache=None)
    assert res.status == "partial" and res.rank == fast.rank and res.failure_bound is None
    assert "GF(p^2)" in res.extra["stopped"] and "too large here" in res.extra["stopped"]
    assert all(k == "GF(2097143)" for k in res.extra["fields"])


def test_stage_memory_follows_the_storage_dtype(monkeypatch):
    """The plan's bytes a stage are those `_empty` allocates: wide (plus the kept copy) or narrow past the limit."""
    from tnrnn.rank import _run as engine

    monkeypatch.setattr(engine, "_WIDE_BYTES", 8 * 100 * 100)
    for k, dtype in ((1, "float64"), (2, "extension")):
        for side in (50, 100 // k, 300):
            Y = engine._Run._empty(types.SimpleNamespace(buffer=None, reserve=1, resident=0), (side, side), k, dtype)
            wide = Y.itemsize == 8 * k
            assert wide == (8 * k * side * side <= engine._WIDE_BYTES)
            assert engine._peak_bytes((side, side), k) == side * side * (Y.itemsize + (4 * k if wide else 0))


def test_stages_share_one_buffer_and_a_prime_stage_reserves_for_gf():
    """Stages are views of one buffer (fresh memory is slow to touch); a prime-field stage that a GF(p^2) stage
    follows is sized for it, so the GF(p^2) matrix of the same side lands in the memory the prime field touched."""
    from tnrnn.rank import _run as engine

    def base(Y):
        return Y.__array_interface__["data"][0]

    run = types.SimpleNamespace(buffer=None, reserve=1, resident=0)
    Y = engine._Run._empty(run, (300, 300), 1, "float64")
    Y[:] = 7.0
    assert engine._Run._empty(run, (200, 250), 1, "float64").flags.c_contiguous
    assert base(engine._Run._empty(run, (200, 250), 1, "float64")) == base(Y)  # smaller: the same memory
    assert base(engine._Run._empty(run, (300, 300), 1, "float64")) == base(Y)
    Z = engine._Run._empty(run, (300, 300), 2, "extension")  # twice the bytes: a new buffer (fast mode)
    assert Z.dtype == np.complex128 and Z.shape == (300, 300) and run.buffer.nbytes == Z.nbytes

    # certified: a GF(p^2) stage is expected after this pass
    run = types.SimpleNamespace(buffer=None, reserve=2, resident=0)
    Y = engine._Run._empty(run, (300, 300), 1, "float64")
    Z = engine._Run._empty(run, (299, 299), 2, "extension")
    assert base(Z) == base(Y) and Z.dtype == np.complex128 and Z.flags.c_contiguous
    assert Z.__array_interface__["data"][0] % 16 == 0


def test_a_stage_counts_the_memory_the_run_holds_and_reserves_only_what_may_be_used(monkeypatch):
    """The memory check of the next stage credits the buffer the run already holds (it is reused or freed first);
    a prime-field stage reserves address space for a GF(p^2) stage only when such a stage would be allowed."""
    import tnrnn._types
    from tnrnn.rank import _run as engine

    monkeypatch.setattr(tnrnn._types, "available_memory_bytes", lambda: 30 * 10**6)  # half: 15 MB may be used
    shape = (1000, 1000)  # a wide GF(p^2) stage: 16 MB matrix + 8 MB kept copy = 24 MB at its peak
    assert engine._peak_bytes(shape, 2) == 24 * 10**6
    assert "would not fit in memory" in engine._refusal(shape, 2)
    assert engine._refusal(shape, 2, credit=9 * 10**6) == ""  # 24 - 9 = 15 MB more: allowed
    assert "would not fit in memory" in engine._refusal(shape, 2, credit=8 * 10**6)

    run = types.SimpleNamespace(buffer=None, reserve=2, resident=0)
    Y = engine._Run._empty(run, shape, 1, "float64")
    assert run.buffer.nbytes == Y.nbytes == run.resident  # a GF(p^2) stage would be refused: nothing reserved
    monkeypatch.setattr(tnrnn._types, "available_memory_bytes", lambda: 60 * 10**6)
    run = types.SimpleNamespace(buffer=None, reserve=2, resident=0)
    Y = engine._Run._empty(run, shape, 1, "float64")
    assert run.buffer.nbytes >= 2 * Y.nbytes and run.resident == Y.nbytes


def test_fused_call_size_counts_the_parameters_by_hand():
    from tnrnn.sizes import param_count  # the measure of a fused call's size

    # RAC M=3, R=4, L=3: layer 1 W^H 4x4 + W^I 4x3 = 28, layers 2, 3: 4x4 + 4x4 = 32 each, readout 4
    assert param_count(make_cell("rac", 3, 4, 3)) == 28 + 32 + 32 + 4


@pytest.mark.parametrize("dtype", ["float64", "extension"])
def test_fused_calls_stay_below_the_size_where_xla_collapses(dtype):
    from tnrnn.rank.evaluation import _FUSE_LAYER_STEPS, _FUSE_SIZE, _fused_steps
    from tnrnn.sizes import param_count

    for M, R, L in itertools.product((2, 3, 4), (2, 3, 4, 6), (1, 2, 3, 4)):
        cell = make_cell("rac", M, R, L)
        for steps in (1, 5, 9, 18, 40):
            g = _fused_steps(cell, steps, dtype)
            assert g >= 1
            assert g == 1 or g * param_count(cell) <= _FUSE_SIZE[dtype], (M, R, L, steps, g)
            if dtype == "extension":
                assert g <= max(1, _FUSE_LAYER_STEPS // L), (M, R, L, steps, g)
    # GF(p^2) calls measured to collapse: (M, R, L) = (2, 4, 2) at 12 steps, (2, 3, 4) at 10, (2, 2, 4) at 16
    assert _fused_steps(make_cell("rac", 2, 4, 2), 17, "extension") == 10
    assert _fused_steps(make_cell("rac", 2, 3, 4), 10, "extension") == 8
    assert _fused_steps(make_cell("rac", 2, 2, 4), 18, "extension") == 12
    # ... and short schedules run fused whole: (3, 3, 3) at T = 10 and 14
    assert _fused_steps(make_cell("rac", 3, 3, 3), 5, "extension") == 5
    assert _fused_steps(make_cell("rac", 3, 3, 3), 7, "extension") == 7
    assert _fused_steps(make_cell("rac", 2, 2, 2), 30, "float64") == 16


def test_narrow_prime_field_panels_are_wide_and_exact(monkeypatch):
    """A large float32 matrix over a prime below 2^21 takes 1024-wide panels by default: every update starts from
    centred residues and adds at most ``1024 H^2`` (partial sums below 2^52); the rank equals FLINT's on the generic
    path (more than 4 x 1032 live rows), with dependent columns inside the panels and zero leading rows."""
    from tnrnn.rank import _block

    H, widths = (P21 - 1) // 2 + 2, []
    update = _block.gemm_update

    def watched(C, G, SI):
        assert max(np.abs(C).max(), np.abs(G).max(), np.abs(SI).max()) <= H
        assert G.shape[1] * H * H + H <= 2**52
        widths.append(G.shape[1])
        update(C, G, SI)

    monkeypatch.setattr(_block, "gemm_update", watched)
    monkeypatch.setattr(_block, "_NARROW_PANEL_SIDE", 1024)  # from side 4096 by default; a smaller case here
    gen = np.random.default_rng(9)
    B = gen.integers(0, P21, (4300, 1250))
    A = np.hstack([B, (B[:, :50] + B[:, 50:100]) % P21])[:, gen.permutation(1300)]  # rank 1250 (generic B)
    A[:3] = 0
    assert blas_modular_rank(A.astype(np.float32), P21) == flint_rank(A, P21) == 1250
    assert max(widths) > 256  # pivots of one 1024-wide panel (the wide default is 256)


def test_narrow_panel_width_follows_the_side(monkeypatch):
    """A float32 matrix below side 4096 keeps 256-column panels; from that side (lowered here) it takes 1024."""
    from tnrnn.rank import _block

    seen = []
    original = _block._panel_narrow

    def watched(P, p):
        seen.append(P.shape[1])
        return original(P, p)

    monkeypatch.setattr(_block, "_panel_narrow", watched)
    A = matrix_of_rank(np.random.default_rng(10), 600, 500, 480, P21).astype(np.float32)
    assert blas_modular_rank(A, P21) == 480 and max(seen) == 256
    seen.clear()
    monkeypatch.setattr(_block, "_NARROW_PANEL_SIDE", 500)
    assert blas_modular_rank(A, P21) == 480 and max(seen) == 500  # one panel: the whole width
