"""Tests of tnrnn.linear.ntk: the empirical lag NTK against β_j²."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tnrnn.linear import (
    empirical_lag_ntk,
    empirical_ntk_tensor,
    init_linear_rnn,
    lag_weights,
)
from tnrnn.linear.train import (
    ScaledConvolution,
    matched_scm,
)
from tnrnn.testing import assert_close

#: task tolerance: the seed-mean empirical NTK diagonal at width >= 2000 lies within 3 % of β_j² for j <= 6
NTK_DIAG_RTOL = 0.03
#: task tolerance: largest off-diagonal entry of the seed-mean lag NTK, relative to the largest β_j² (j <= 6)
NTK_OFFDIAG_RTOL = 0.03


# --- empirical NTK ------------------------------------------------------------------------------------------------


def test_ntk_methods_agree_and_groups_add():
    m = init_linear_rnn(30, key=jax.random.key(0), n_x=2, n_y=2, rho2=0.7)
    a = empirical_ntk_tensor(m, 4, method="jacobian")
    b = empirical_ntk_tensor(m, 4, method="jvp")
    assert_close(a, b)
    total = empirical_lag_ntk(m, 4)
    parts = [empirical_lag_ntk(m, 4, lr_scale=lam) for lam in ((1, 0, 0), (0, 1, 0), (0, 0, 1))]
    assert_close(sum(parts), total)


def test_standard_ntk_equals_ntk_without_the_f_group():
    """Same effective matrices: the C and W terms coincide (a² = 1/n both ways); only F differs (§2.7)."""
    a = init_linear_rnn(25, key=jax.random.key(5), rho2=0.6, param="ntk")
    b = init_linear_rnn(25, key=jax.random.key(5), rho2=0.6, param="standard")
    assert_close(empirical_lag_ntk(b, 5, lr_scale=(1, 0, 1)), empirical_lag_ntk(a, 5, lr_scale=(1, 0, 1)))


def test_scm_kernel_normalisation_with_three_inputs():
    """Notes §5: a unit impulse at lag 0 against itself has kernel β_0²/n_x = 2/3 in the SCM."""
    beta2 = lag_weights(3, rho2=0.5)
    scm = matched_scm(jnp.zeros((4, 1, 3)), beta2)
    jac = jax.jacobian(lambda K: ScaledConvolution(K, scm.scale).filters()[0, 0, 0])(scm.K)
    assert_close(jnp.sum(jac**2), 2 / 3)


def _ntk_mean(width, seeds, rho2, J):
    mats = [np.asarray(empirical_lag_ntk(init_linear_rnn(width, key=jax.random.key(s), rho2=rho2), J)) for s in seeds]
    return np.mean(mats, axis=0)


@pytest.mark.slow
@pytest.mark.parametrize("width", [2000, 4000])
def test_empirical_ntk_matches_lag_weights(width):
    J = 6
    theory = lag_weights(J, rho2=0.5)
    mean = _ntk_mean(width, range(8), 0.5, J)
    assert np.max(np.abs(np.diag(mean) / theory - 1)) < NTK_DIAG_RTOL
    off = mean - np.diag(np.diag(mean))
    assert np.max(np.abs(off)) < NTK_OFFDIAG_RTOL * theory.max()
