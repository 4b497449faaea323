"""The GF(p^2) field sized to the failure bound: one repetition over up to 2^47 elements, not two over 2^44.

Checked against independent arithmetic: FLINT's rank of the regular representation over F_p, and a cell evaluated
with Python integers over GF(p^2).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tnrnn._types import parse_partition
from tnrnn.cells import make_cell
from tnrnn.cells.arith import ExtensionArith, extension_width_limit, is_extension_prime
from tnrnn.cells.base import cell_names
from tnrnn.primes import is_prime
from tnrnn.rank import _run, separation_rank
from tnrnn.rank._block import _check_block_prime, _update_bounds, extension_panel
from tnrnn.rank._run import _extension_primes
from tnrnn.rank.elimination import blas_modular_rank, jax_modular_rank, modular_rank
from tnrnn.rank.evaluation import residue_matrix
from tnrnn.testing import extension_matrix_of_rank, flint_extension_rank


def _largest_3_mod_4_prime_below(bound: int) -> int:
    n = bound - 1
    while not (n % 4 == 3 and is_prime(n)):
        n -= 1
    return n


DEFAULT = _largest_3_mod_4_prime_below(2**22)
MID = _largest_3_mod_4_prime_below(int(2**22.75))  # the field for a need of 2^45
LARGE = _largest_3_mod_4_prime_below(int(2**23.25))
TOP = _largest_3_mod_4_prime_below(int(2**23.5))  # the largest the engine sizes to


def test_the_field_is_the_least_of_the_menu_that_meets_the_need():
    assert _extension_primes(8, 2) == _extension_primes(8, 2, 0.99 * 2.0**44)  # 2^22 where it suffices
    assert _extension_primes(8, 1)[0] == DEFAULT
    assert _extension_primes(8, 1, 2.0**45)[0] == MID  # 2^22.5 falls (0.999^2 short), 2^22.75 does
    assert _extension_primes(8, 1, 2.0**46.4)[0] == LARGE
    assert _extension_primes(8, 1, 2.0**46.9)[0] == TOP
    for need in (2.0**44.1, 2.0**45, 2.0**46, 2.0**46.4, 2.0**46.9):
        p = _extension_primes(8, 1, need)[0]
        assert is_extension_prime(p) and p * p >= need
    # past what one repetition can reach: 2^22 and repetitions, as before
    assert _extension_primes(8, 2, 2.0**47.01) == _extension_primes(8, 2)
    # a wide cell still gets a prime whose sums stay exact
    p = _extension_primes(200, 1, 2.0**46)[0]
    assert extension_width_limit(p) >= 200 and p * p < 2.0**46


def test_extension_panel_is_the_widest_exact_panel():
    assert [extension_panel(p) for p in (DEFAULT, MID, LARGE, TOP)] == [256, 128, 64, 64]
    for p in (DEFAULT, MID, LARGE, TOP, _largest_3_mod_4_prime_below(2**24)):
        b = extension_panel(p)
        _check_block_prime(p, b, True)  # exact: no error
        if b < 256:
            with pytest.raises(ValueError, match="not allowed"):
                _check_block_prime(p, 2 * b, True)


@pytest.mark.parametrize("use_3m", [True, False])
@pytest.mark.parametrize("p", [MID, TOP])
def test_update_at_a_large_prime_is_exact_at_its_worst_case(p, use_3m, monkeypatch):
    """Entries at the largest bound an update may start from and every product at its largest part (as for the
    default prime), with the panel `extension_panel` gives: every part exact against Python integers."""
    from tnrnn.rank import _blas

    monkeypatch.setattr(_blas, "USE_3M", use_3m)
    H, k = (p - 1) // 2 + 2, extension_panel(p)
    gain, peak, limit = _update_bounds(H, True)
    B = H
    while B + k * gain + k * peak <= limit:
        B += k * gain
    G, SI = np.full((64, k), H + 1j * H), np.full((k, 48), H + 1j * H)
    C = np.full((64, 48), -B - 1j * B)
    _blas.gemm_update(C, G, SI)
    assert np.all(C.real == -B) and np.all(C.imag == -B - 2 * k * H * H)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("p", [MID, TOP])
def test_elimination_over_a_sized_field_equals_flint(p, dtype):
    gen = np.random.default_rng(11)
    for n, m, r in [(300, 300, 300), (400, 260, 250), (520, 600, 513)]:
        C = extension_matrix_of_rank(gen, n, m, r, p)
        C[:5] = 0  # a singular leading block
        C[40] = C[70]
        expected = flint_extension_rank(C, p)
        assert blas_modular_rank(C.astype(dtype), p) == expected
        assert modular_rank(C.astype(dtype), p) == expected
        assert jax_modular_rank(C.astype(dtype), p) == expected


class _PythonField:
    """GF(p^2) = F_p[i] / (i^2 + 1) with Python integers: pairs (re, im), every cell's arithmetic interface."""

    def __init__(self, p):
        self.p = p

    def _el(self, v):
        return int(v[0]) % self.p, int(v[1]) % self.p

    def _mul(self, a, b):
        return (a[0] * b[0] - a[1] * b[1]) % self.p, (a[0] * b[1] + a[1] * b[0]) % self.p

    def _add(self, a, b):
        return (a[0] + b[0]) % self.p, (a[1] + b[1]) % self.p

    def _sum(self, terms):
        out = (0, 0)
        for t in terms:
            out = self._add(out, t)
        return out

    def matvec(self, W, v):
        return [self._sum(self._mul(self._el(W[r, k]), v[k]) for k in range(W.shape[1])) for r in range(W.shape[0])]

    def mul(self, u, v):
        return [self._mul(x, y) for x, y in zip(u, v, strict=True)]

    def add(self, u, v):
        return [self._add(x, y) for x, y in zip(u, v, strict=True)]

    def scale(self, c, v):
        return [self._mul(self._el(c[r]), v[r]) for r in range(len(v))]

    def param(self, c, like):
        return [self._el(c[r]) for r in range(c.shape[0])]

    def bilinear(self, A, u, v):
        n_out, n_u, n_v = A.shape[:3]
        return [
            self._sum(self._mul(self._el(A[r, i, j]), self._mul(u[i], v[j])) for i in range(n_u) for j in range(n_v))
            for r in range(n_out)
        ]

    def ones(self, n, like):
        return [(1, 0)] * n

    def zeros(self, n, like):
        return [(0, 0)] * n

    def const(self, q, n, like):
        q = Fraction(q)
        return [(q.numerator * pow(q.denominator, -1, self.p) % self.p, 0)] * n

    def first(self, v):
        return v[0]


@pytest.mark.parametrize("name", cell_names())
def test_kernel_over_a_sized_field_equals_python_integers(name):
    p = TOP
    cell = make_cell(name, 2, 2, 2)
    part = parse_partition("start-end", 4)
    params = cell.random_residues(p, 5, degree=2)
    gen = np.random.default_rng(3)
    a, b = gen.integers(0, p, (3, len(part.A), 2, 2)), gen.integers(0, p, (4, len(part.B), 2, 2))
    kernel = residue_matrix(cell, params, part, a, b, p, dtype="extension")
    ar = _PythonField(p)
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            xs = [[ar._el(x[k, m]) for m in range(cell.M)] for x, k in [(a[i], 0), (a[i], 1), (b[j], 0), (b[j], 1)]]
            carry, h = cell.initial_carry(params, ar, None), None
            for x in xs:
                carry, h = cell.step(params, carry, x, ar)
            want = ar.first(cell.readout(params, h, ar))
            got = (int(kernel[i, j].real) % p, int(kernel[i, j].imag) % p)
            assert got == want


def test_extension_arith_exact_at_its_width_limit_for_a_sized_field():
    n, h = extension_width_limit(TOP), (TOP + 1) // 2
    W = np.full((1, n), float(h) - 1j * h)
    z = ExtensionArith(TOP, np).matvec(W, [np.array([float(h) + 1j * h])] * n)[0]
    assert int(z.real[0]) % TOP == (2 * h * h * n) % TOP and int(z.imag[0]) % TOP == 0


def test_certified_run_takes_one_repetition_over_a_sized_field(monkeypatch):
    """A target that one repetition over 2^44 cannot meet (it would take two): one over GF(MID^2) meets it."""
    M, R, L, T = 2, 2, 3, 8
    fast = separation_rank(M, R, L, T, domain="continuous", confidence="fast")
    r, degree = fast.rank, fast.degree
    prior = min(1.0, (r + 1) * degree / fast.primes[0])  # the prime-field pass's share of the bound
    target = (r + 1) * degree * prior / 2.0**45  # so the field one repetition needs is 2^45
    monkeypatch.setattr(_run, "rigorous_target", target)
    cert = separation_rank(M, R, L, T, domain="continuous", cache=None)
    assert cert.status == "lower-bound" and cert.rank == r == 106
    assert cert.primes[1:] == [MID] and cert.extra["fields"][1] == f"GF({MID}^2)"
    assert cert.failure_bound <= target


def test_plan_counts_the_narrower_panel_of_a_sized_field():
    from tnrnn.rank.engine import _CERTIFY_FACTOR, plan

    base = plan(3, 3, 3, 10, domain="continuous")  # (M, R, L, T): 2^44 suffices, panel 256
    assert base["certify_seconds"] == pytest.approx(_CERTIFY_FACTOR * base["estimate_seconds"])
    sized = plan(2, 2, 3, 32, domain="continuous")  # about 2^46.3 needed: panel 64
    assert sized["certify_seconds"] > 1.05 * _CERTIFY_FACTOR * sized["estimate_seconds"]


def test_plan_counts_the_steps_before_the_last_fused_call(monkeypatch):
    """A long GF(p^2) schedule that runs its first steps one call each (returning the carry) is estimated longer; on
    the CPU the loop emitter runs it whole, and the estimate counts it as one fused call."""
    from tnrnn.rank import evaluation
    from tnrnn.rank.engine import _CERTIFY_FACTOR, plan
    from tnrnn.rank.evaluation import _fused_steps

    short = plan(2, 4, 2, 10, domain="continuous")  # (M, R, L, T): 5 End steps, one fused call; p < 2^22
    assert short["certify_seconds"] == pytest.approx(_CERTIFY_FACTOR * short["estimate_seconds"])
    assert _fused_steps(make_cell("rac", 2, 4, 2), 17, "extension") == 10  # T = 34: 7 steps before the fused call
    long = plan(2, 4, 2, 34, domain="continuous")  # CPU: the 17 steps in one call with the loop emitter
    assert long["certify_seconds"] == pytest.approx(_CERTIFY_FACTOR * long["estimate_seconds"])
    monkeypatch.setattr(evaluation, "_cpu_backend", lambda: False)  # a GPU keeps the fusion emitters' rule
    long = plan(2, 4, 2, 34, domain="continuous")
    assert long["certify_seconds"] > 1.4 * _CERTIFY_FACTOR * long["estimate_seconds"]


def test_plan_of_a_long_schedule_does_not_start_jax():
    """Sizing a request stays cheap: the plan assumes the CPU's loop-emitter calls rather than starting JAX to ask."""
    import subprocess
    import sys

    code = (
        "import sys; from tnrnn.rank import plan; plan(2, 4, 2, 34, domain='continuous'); "
        "sys.exit(1 if 'jax' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
