"""Exact structural sparsity patterns.

For functions whose pattern is known in closed form, the detected pattern must
equal the expected one exactly (not just contain it). Expected patterns are
built with numpy/scipy, independently of the library, and are themselves
checked against the union of numerically nonzero dense derivatives at random
points (so a wrong expectation fails here, not in the library).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sps
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

import sparsehess
from functions import (
    MLP_C,
    MLP_K,
    ZOO,
    arrowhead,
    dense_hessian,
    dense_jacobian,
    broyden_residual,
    chained_rosenbrock,
    diagonal_fn,
    grid_energy,
    grid_laplacian_vec,
    mlp_batch_sum,
    mlp_forward,
    separable_pairs,
)


def _numeric_union_hess(f, xs):
    n = xs[0].size
    U = np.zeros((n, n), bool)
    hf = jax.jit(jax.hessian(f))
    for x in xs:
        U |= np.abs(np.asarray(hf(x)).reshape(n, n)) > 0
    return U


def _numeric_union_jac(f, xs):
    U = None
    jf = jax.jit(jax.jacfwd(f))
    for x in xs:
        J = np.asarray(jf(x)).reshape(-1, x.size)
        U = (np.abs(J) > 0) if U is None else U | (np.abs(J) > 0)
    return U


def _points(shape, seed, kind="unif", count=2):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        if kind == "away":
            v = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        else:
            v = rng.uniform(-1.0, 1.0, size=shape)
        out.append(jnp.asarray(v))
    return out


def _detected(P, shape):
    assert isinstance(P, sps.csr_array), type(P)
    assert P.shape == shape, (P.shape, shape)
    assert P.dtype == np.bool_, P.dtype
    return P.toarray()


def _assert_pattern_equal(P, E, what):
    extra = np.argwhere(P & ~E)
    missing = np.argwhere(E & ~P)
    assert extra.size == 0 and missing.size == 0, (
        f"{what}: detected pattern differs from the exact one: "
        f"{len(extra)} extra (e.g. {extra[:6].tolist()}), {len(missing)} missing (e.g. {missing[:6].tolist()})"
    )


# --------------------------------------------------------------------------
# expected patterns, built with scipy/numpy only
# --------------------------------------------------------------------------


def tridiagonal(n):
    return sps.diags([np.ones(n - 1), np.ones(n), np.ones(n - 1)], [-1, 0, 1], shape=(n, n)).toarray().astype(bool)


def grid5(h, w):
    # 5-point Laplacian on an h x w grid, row-major: kron(I_h, T_w) + kron(T_h, I_w)
    Th = sps.diags([np.ones(h - 1), np.ones(h - 1)], [-1, 1], shape=(h, h))
    Tw = sps.diags([np.ones(w - 1), np.ones(w - 1)], [-1, 1], shape=(w, w))
    L = sps.kron(sps.identity(h), Tw) + sps.kron(Th, sps.identity(w)) + sps.identity(h * w)
    return L.toarray() != 0


def arrow(n):
    E = np.eye(n, dtype=bool)
    E[-1, :] = E[:, -1] = True
    return E


def blocks(nblocks, size):
    return sps.block_diag([np.ones((size, size))] * nblocks).toarray().astype(bool)


def tapped_delay_scan(x, state=5):
    """A scan whose carried state is a delay line: x = (s0 (state,), u); every step emits the
    old state's first element cubed and tanh(w · new state)², the state shifted by one with
    tanh(u_t) appended."""
    w = jnp.asarray(np.linspace(0.5, 1.5, state))

    def step(s, u):
        new = jnp.concatenate([0.9 * s[1:], jnp.tanh(u)[None]])
        return new, s[0] ** 3 + jnp.tanh(jnp.dot(w, new)) ** 2
    return jnp.sum(jax.lax.scan(step, x[:state], x[state:])[1])


def delay_band(n, state=5):
    # step t couples the sequence (s0, u) over its window t+1 .. t+state; element 0 only itself
    E = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) < state
    E[0, 1:] = E[1:, 0] = False
    return E


# name, f, input shape, sampler kind, expected (n, n) pattern
REQUIRED_HESS = [
    ("chained_rosenbrock_n2", chained_rosenbrock, (2,), "unif", tridiagonal(2)),
    ("chained_rosenbrock_n7", chained_rosenbrock, (7,), "unif", tridiagonal(7)),
    ("chained_rosenbrock_n30", chained_rosenbrock, (30,), "unif", tridiagonal(30)),
    ("grid5_3x3", functools.partial(grid_energy, h=3, w=3), (9,), "unif", grid5(3, 3)),
    ("grid5_1x6", functools.partial(grid_energy, h=1, w=6), (6,), "unif", grid5(1, 6)),
    ("grid5_5x6", functools.partial(grid_energy, h=5, w=6), (30,), "unif", grid5(5, 6)),
    ("arrowhead_n3", arrowhead, (3,), "away", arrow(3)),
    ("arrowhead_n25", arrowhead, (25,), "away", arrow(25)),
    ("mlp_block_diag_D1", mlp_batch_sum, (1, MLP_C), "unif", blocks(1, MLP_C)),
    ("mlp_block_diag_D6", mlp_batch_sum, (6, MLP_C), "unif", blocks(6, MLP_C)),
    ("mlp_block_diag_D12", mlp_batch_sum, (12, MLP_C), "unif", blocks(12, MLP_C)),
    ("diagonal_n1", diagonal_fn, (1,), "unif", np.eye(1, dtype=bool)),
    ("diagonal_n40", diagonal_fn, (40,), "unif", np.eye(40, dtype=bool)),
    ("separable_pairs_n2", separable_pairs, (2,), "away", blocks(1, 2)),
    ("separable_pairs_n40", separable_pairs, (40,), "away", blocks(20, 2)),
    ("tapped_delay_scan_n35", tapped_delay_scan, (35,), "unif", delay_band(35)),
]


@pytest.mark.parametrize("name,f,shape,kind,E", REQUIRED_HESS, ids=[r[0] for r in REQUIRED_HESS])
def test_expected_pattern_is_right(name, f, shape, kind, E):
    """Test of the test: the expected pattern equals the numeric nonzeros at random points."""
    xs = _points(shape, 1, kind, count=3)
    _assert_pattern_equal(_numeric_union_hess(f, xs), E, f"{name} (numeric vs expected)")


@pytest.mark.parametrize("name,f,shape,kind,E", REQUIRED_HESS, ids=[r[0] for r in REQUIRED_HESS])
def test_hessian_pattern_exact(name, f, shape, kind, E):
    n = E.shape[0]
    for x in _points(shape, 2, kind):
        P = _detected(sparsehess.hessian_sparsity(f, x), (n, n))
        _assert_pattern_equal(P, E, name)
    # gradient dependency: every input matters in these functions
    G = _detected(sparsehess.jacobian_sparsity(f, x), (1, n))
    assert G.all(), f"{name}: gradient pattern misses inputs {np.flatnonzero(~G[0]).tolist()}"


@pytest.mark.parametrize("name,f,shape,kind,E", REQUIRED_HESS, ids=[r[0] for r in REQUIRED_HESS])
def test_sparse_hessian_values_on_exact_pattern(name, f, shape, kind, E):
    """The scipy-format Hessian has the dense values, and nothing outside the exact pattern."""
    n = E.shape[0]
    x = _points(shape, 3, kind, count=1)[0]
    H = sparsehess.hessian(f, format="scipy")(x)
    assert isinstance(H, sps.csr_array) and H.shape == (n, n)
    Hd = H.toarray()
    ref = np.asarray(jax.jit(jax.hessian(f))(x)).reshape(n, n)
    np.testing.assert_allclose(Hd, ref, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(ref).max()))
    assert not np.any((Hd != 0) & ~E), f"{name}: nonzero Hessian values outside the exact pattern"


# --------------------------------------------------------------------------
# exact Jacobian patterns
# --------------------------------------------------------------------------


def mlp_jac_pattern(D):
    # out[d, k] depends on x[d, :]: kron(I_D, ones(K, C))
    return np.kron(np.eye(D, dtype=bool), np.ones((MLP_K, MLP_C), bool))


REQUIRED_JAC = [
    ("broyden_residual_n12", broyden_residual, (12,), tridiagonal(12)),
    ("grid_laplacian_4x6", grid_laplacian_vec, (4, 6), grid5(4, 6)),
    ("mlp_vec_D7", mlp_forward, (7, MLP_C), mlp_jac_pattern(7)),
    ("elementwise_2d", lambda x: jnp.exp(x) * jnp.sin(x), (5, 4), np.eye(20, dtype=bool)),
    ("shift_difference", lambda x: x[1:] - x[:-1] ** 2, (9,),
     sps.diags([np.ones(8), np.ones(8)], [0, 1], shape=(8, 9)).toarray().astype(bool)),
]


@pytest.mark.parametrize("name,f,shape,E", REQUIRED_JAC, ids=[r[0] for r in REQUIRED_JAC])
def test_jacobian_pattern_exact(name, f, shape, E):
    xs = _points(shape, 4, "unif", count=2)
    _assert_pattern_equal(_numeric_union_jac(f, xs), E, f"{name} (numeric vs expected)")
    for x in xs:
        P = _detected(sparsehess.jacobian_sparsity(f, x), E.shape)
        _assert_pattern_equal(P, E, name)


# --------------------------------------------------------------------------
# further exact patterns from the zoo (gather/scatter with constant indices,
# batched einsum, custom_jvp, zero Hessian of a linear function, ...)
# --------------------------------------------------------------------------

ZOO_HESS = [c for c in ZOO if c.scalar and c.hess_pattern is not None]
ZOO_JAC = [c for c in ZOO if not c.scalar and c.jac_pattern is not None]


@pytest.mark.parametrize("case", ZOO_HESS, ids=lambda c: c.name)
def test_zoo_hessian_pattern_exact(case):
    E = case.hess_pattern()
    for k in range(2):
        args = case.args(k)
        P = _detected(sparsehess.hessian_sparsity(case.f, *args, argnums=case.argnums), E.shape)
        _assert_pattern_equal(P, E, case.name)


@pytest.mark.parametrize("case", ZOO_JAC, ids=lambda c: c.name)
def test_zoo_jacobian_pattern_exact(case):
    E = case.jac_pattern()
    for k in range(2):
        args = case.args(k)
        P = _detected(sparsehess.jacobian_sparsity(case.f, *args, argnums=case.argnums), E.shape)
        _assert_pattern_equal(P, E, case.name)


def test_gradient_dependency_exact():
    def f(x):  # x[4], x[5], x[7] never used; x[6] only linearly
        return jnp.sum(x[:3] ** 2 * x[1:4]) + 2.0 * x[6]

    x = jnp.linspace(0.1, 0.8, 8)
    G = _detected(sparsehess.jacobian_sparsity(f, x), (1, 8))
    assert np.array_equal(G[0], [1, 1, 1, 1, 0, 0, 1, 0])
    H = _detected(sparsehess.hessian_sparsity(f, x), (8, 8))
    E = np.zeros((8, 8), bool)
    E[:4, :4] = tridiagonal(4)
    E[3, 3] = False
    _assert_pattern_equal(H, E, "gradient_dependency hessian")


# --------------------------------------------------------------------------
# property-based: random pair couplings through static indexing
# --------------------------------------------------------------------------


@st.composite
def pair_structures(draw):
    n = draw(st.integers(2, 12))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=0, max_size=10))
    pairs = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    return n, pairs


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(pair_structures())
def test_random_pair_couplings_exact(structure):
    n, pairs = structure

    def f(x):
        out = jnp.sum(jnp.cos(x))  # full diagonal
        for a, b in pairs:
            out = out + jnp.sin(x[a] * x[b])
        return out

    E = np.eye(n, dtype=bool)
    for a, b in pairs:
        E[a, b] = E[b, a] = True
    x = jnp.asarray(np.random.default_rng(n).uniform(0.3, 1.2, size=n))
    H_ref = np.asarray(jax.jit(jax.hessian(f))(x))
    _assert_pattern_equal(np.abs(H_ref) > 0, E, "numeric vs expected")
    P = _detected(sparsehess.hessian_sparsity(f, x), (n, n))
    _assert_pattern_equal(P, E, f"random pairs n={n} {pairs}")
    H = sparsehess.hessian(f, format="dense")(x)
    np.testing.assert_allclose(np.asarray(H), H_ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("case", ZOO_HESS + ZOO_JAC, ids=lambda c: c.name)
def test_zoo_expected_patterns_are_right(case):
    """Test of the test: zoo expectations equal the numeric nonzeros at 3 random points."""
    U = None
    for k in range(3):
        D = (dense_hessian if case.scalar else dense_jacobian)(case.name, k)[1]
        U = (np.abs(D) > 0) if U is None else U | (np.abs(D) > 0)
    E = case.hess_pattern() if case.scalar else case.jac_pattern()
    _assert_pattern_equal(U, E, f"{case.name} (numeric vs expected)")
