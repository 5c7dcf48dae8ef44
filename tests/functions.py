"""Function zoo for the sparsehess correctness tests.

Each entry is a :class:`Case`: a name, a JAX function, a sampler that draws
example arguments from a seeded numpy Generator, whether the output is a
scalar, which argument is differentiated, and (optionally) the expected exact
structural pattern built with numpy/scipy *independently of the library*.

Samplers are chosen so that every function is twice differentiable at the
drawn points: abs/sign/max/min/where/clip are evaluated away from kinks and
ties, log/sqrt/pow only see positive values, tan only sees small angles.

Nothing here imports sparsehess; numeric constants are numpy arrays (they are
turned into float64 JAX constants at trace time, as the tests enable x64).
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sps
from jax import lax
from jax.scipy.special import erf

# The tests run in float64; conftest also does this, and it is harmless to
# repeat it here in case this module is imported on its own.
jax.config.update("jax_enable_x64", True)


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    f: Callable
    sample: Callable[[np.random.Generator], tuple]
    scalar: bool
    argnums: int = 0
    # Expected exact structural patterns (dense numpy bool arrays), or None.
    # hess_pattern: (n, n); jac_pattern: (m, n) over flattened output/input.
    hess_pattern: Optional[Callable[[], np.ndarray]] = None
    jac_pattern: Optional[Callable[[], np.ndarray]] = None

    def args(self, k: int) -> tuple:
        """The k-th example point: a tuple of JAX arrays (float64 / int)."""
        rng = np.random.default_rng([zlib.crc32(self.name.encode()), k])
        return tuple(jnp.asarray(a) for a in self.sample(rng))

    def __repr__(self) -> str:  # readable pytest ids
        return f"Case({self.name})"


ZOO: list[Case] = []


def add(name, f, sample, scalar=True, argnums=0, hess_pattern=None, jac_pattern=None):
    assert all(c.name != name for c in ZOO), name
    case = Case(name, f, sample, scalar, argnums, hess_pattern, jac_pattern)
    ZOO.append(case)
    return case


def by_name(name: str) -> Case:
    for c in ZOO:
        if c.name == name:
            return c
    raise KeyError(name)


# --------------------------------------------------------------------------
# Samplers (each returns a function rng -> tuple of numpy arrays)
# --------------------------------------------------------------------------


def _away(rng, shape, lo=0.5, hi=1.5):
    """Values with |x| in [lo, hi] and random sign: away from 0."""
    mag = rng.uniform(lo, hi, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return mag * sign


def away(shape, lo=0.5, hi=1.5):
    return lambda rng: (_away(rng, shape, lo, hi),)


def pos(shape, lo=0.5, hi=2.0):
    return lambda rng: (rng.uniform(lo, hi, size=shape),)


def unif(shape, lo=-1.0, hi=1.0):
    return lambda rng: (rng.uniform(lo, hi, size=shape),)


# --------------------------------------------------------------------------
# Independent pattern builders (numpy / scipy only)
# --------------------------------------------------------------------------


def banded(n, bw):
    """Dense bool (n, n) band matrix with half-bandwidth bw."""
    i, j = np.indices((n, n))
    return np.abs(i - j) <= bw


def block_diag_ones(nblocks, size):
    return sps.block_diag([np.ones((size, size))] * nblocks).toarray().astype(bool)


def grid5_pattern(h, w):
    """5-point stencil pattern on an (h, w) grid flattened row-major."""
    n = h * w
    P = np.eye(n, dtype=bool)
    for i in range(h):
        for j in range(w):
            a = i * w + j
            for di, dj in ((1, 0), (0, 1)):
                ii, jj = i + di, j + dj
                if ii < h and jj < w:
                    b = ii * w + jj
                    P[a, b] = P[b, a] = True
    return P


def arrow_pattern(n):
    P = np.eye(n, dtype=bool)
    P[-1, :] = True
    P[:, -1] = True
    return P


def windows_pattern(n, offsets):
    """Union of full blocks over windows {i + o for o in offsets}."""
    P = np.zeros((n, n), dtype=bool)
    span = max(offsets)
    for i in range(n - span):
        idx = [i + o for o in offsets]
        P[np.ix_(idx, idx)] = True
    return P


def edges_pattern(n, e1, e2, diag=True):
    P = np.eye(n, dtype=bool) if diag else np.zeros((n, n), dtype=bool)
    P[e1, e2] = True
    P[e2, e1] = True
    return P


# --------------------------------------------------------------------------
# Constants (fixed seeds; numpy only)
# --------------------------------------------------------------------------

_crng = np.random.default_rng(20240601)

# Julia: A = reshape(0:8, 3, 3) .% 4  (column-major fill)
JULIA_A = (np.arange(9).reshape(3, 3, order="F") % 4).astype(np.float64)
JULIA_H = np.array([[10.0, 4.0, 6.0], [4.0, 20.0, 12.0], [6.0, 12.0, 26.0]])

# tanh(M @ x): an (8, 10) matrix with a fair number of zeros
M_TANH = _crng.normal(size=(8, 10)) * (_crng.random((8, 10)) < 0.4)
M_TANH[np.arange(8), np.arange(8)] = 1.0  # every row depends on something

# per-sample MLP: samples D, features C, hidden H, outputs K
MLP_D, MLP_C, MLP_H, MLP_K = 6, 3, 4, 2
MLP_W1 = _crng.normal(size=(MLP_C, MLP_H)) / np.sqrt(MLP_C)
MLP_B1 = _crng.normal(size=(MLP_H,)) * 0.1
MLP_W2 = _crng.normal(size=(MLP_H, MLP_K)) / np.sqrt(MLP_H)

# graph for gather energies: 12 nodes, some random edges (no self loops)
G_N = 12
_e = set()
while len(_e) < 15:
    a, b = _crng.integers(0, G_N, size=2)
    if a != b:
        _e.add((min(a, b), max(a, b)))
G_E1 = np.array([a for a, _ in sorted(_e)], dtype=np.int32)
G_E2 = np.array([b for _, b in sorted(_e)], dtype=np.int32)

# scatter-add: 10 inputs into 6 bins
SC_N, SC_M = 10, 6
SC_IDX = np.array([0, 2, 2, 5, 1, 3, 0, 4, 5, 2], dtype=np.int32)

# quadratic form with a banded symmetric matrix
QF_N = 10
QF_B = np.diag(np.full(QF_N, 4.0)) + np.diag(np.full(QF_N - 1, -1.0), 1) + np.diag(np.full(QF_N - 1, -1.0), -1)

W_VEC = _crng.normal(size=(40,))


def mlp_forward(x):
    """x: (D, C) -> (D, K), applied per sample (row)."""
    h = jnp.tanh(x @ MLP_W1 + MLP_B1)
    return jnp.tanh(h @ MLP_W2)


# ==========================================================================
# Scalar functions (Hessians)
# ==========================================================================

# --- classic structured problems ---------------------------------------------


def chained_rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


add("chained_rosenbrock", chained_rosenbrock, unif((10,), -1.2, 1.2),
    hess_pattern=lambda: banded(10, 1))


def extended_rosenbrock(x):
    o, e = x[0::2], x[1::2]
    return jnp.sum(100.0 * (e - o**2) ** 2 + (1.0 - o) ** 2)


add("extended_rosenbrock", extended_rosenbrock, unif((10,), -1.2, 1.2),
    hess_pattern=lambda: block_diag_ones(5, 2))


def stencil_1d_energy(x):
    lap = x[2:] - 2.0 * x[1:-1] + x[:-2]
    return jnp.sum(lap**2) + 0.1 * jnp.sum(x**4)


add("stencil_1d_energy", stencil_1d_energy, unif((12,)),
    hess_pattern=lambda: banded(12, 2))

GRID_H, GRID_W = 4, 5


def grid_energy(x, h=GRID_H, w=GRID_W):
    u = x.reshape(h, w)
    dv = u[1:, :] - u[:-1, :]
    dh = u[:, 1:] - u[:, :-1]
    return jnp.sum(dv**2) + jnp.sum(dh**2) + 0.25 * jnp.sum(u**4)


add("grid_5point_energy", grid_energy, unif((GRID_H * GRID_W,)),
    hess_pattern=lambda: grid5_pattern(GRID_H, GRID_W))


def arrowhead(x):
    return jnp.sum((x[:-1] ** 2 + x[-1] ** 2) ** 2 - 4.0 * x[:-1] + 3.0)


add("arrowhead", arrowhead, away((12,)), hess_pattern=lambda: arrow_pattern(12))


def partially_separable(x):
    s = x[:-3] + 2.0 * x[1:-2] + x[3:]
    return jnp.sum(s**4) + jnp.sum(jnp.cos(x))


add("partially_separable", partially_separable, unif((12,)),
    hess_pattern=lambda: windows_pattern(12, (0, 1, 3)))


def broyden_residual(x):
    xp = jnp.pad(x, (1, 1))
    return (3.0 - 2.0 * x) * x - xp[:-2] - 2.0 * xp[2:] + 1.0


def broyden_tridiagonal_ls(x):
    return jnp.sum(broyden_residual(x) ** 2)


add("broyden_tridiagonal_ls", broyden_tridiagonal_ls, unif((10,)),
    hess_pattern=lambda: banded(10, 2))


def mlp_batch_sum(x):
    return jnp.sum(mlp_forward(x))


add("mlp_batch_sum", mlp_batch_sum, unif((MLP_D, MLP_C)),
    hess_pattern=lambda: block_diag_ones(MLP_D, MLP_C))


def julia_lsq(x):
    return jnp.sum((JULIA_A @ x) ** 2)


add("julia_lsq", julia_lsq, unif((3,)), hess_pattern=lambda: np.ones((3, 3), bool))


def diagonal_fn(x):
    return jnp.sum(jnp.exp(0.5 * x) + jnp.sin(x) * x + x**4)


add("diagonal_fn", diagonal_fn, unif((15,)), hess_pattern=lambda: np.eye(15, dtype=bool))


def separable_pairs(x):
    a, b = x[0::2], x[1::2]
    return jnp.sum(jnp.sin(a * b) + (a + b) ** 2 * a)


add("separable_pairs", separable_pairs, away((14,)),
    hess_pattern=lambda: block_diag_ones(7, 2))

# --- arithmetic ----------------------------------------------------------------


def products(x):
    return jnp.sum(x[:-1] * x[1:]) + x[0] * x[3] * x[5] + jnp.prod(x[6:9])


add("products", products, away((10,)))


def quotients(x):
    return jnp.sum(x[:-1] / (1.0 + x[1:] ** 2)) + x[0] / x[-1] + jnp.sum(1.0 / x[2:5])


add("quotients", quotients, away((8,)))

# --- elementwise transcendental --------------------------------------------------


def exp_log(x):
    return jnp.sum(jnp.exp(0.3 * x[:4]) * x[4:8]) + jnp.sum(jnp.log(x**2 + 1.0)) + jnp.log(jnp.sum(x**2))


add("exp_log", exp_log, away((8,)))


def log1p_expm1(x):
    return jnp.sum(jnp.log1p(x**2) * jnp.expm1(0.5 * x[::-1])) + jnp.sum(jnp.log1p(jnp.abs(x)))


add("log1p_expm1", log1p_expm1, away((8,)))


def trig(x):
    return jnp.sum(jnp.sin(x) * jnp.cos(x[::-1])) + jnp.sum(jnp.tan(0.3 * x) ** 2) + jnp.sin(x[0] * x[1])


add("trig", trig, away((8,)))


def sqrt_rsqrt(x):
    return jnp.sum(jnp.sqrt(x**2 + x[::-1] ** 2 + 1.0)) + jnp.sum(lax.rsqrt(1.0 + x[:-1] ** 2 * x[1:] ** 2))


add("sqrt_rsqrt", sqrt_rsqrt, away((8,)))


def erf_logistic(x):
    return jnp.sum(erf(x) * x[::-1]) + jnp.sum(jax.nn.sigmoid(x[:-1] * x[1:])) + jnp.sum(lax.logistic(x) ** 2)


add("erf_logistic", erf_logistic, away((8,)))


def hyperbolic_atan(x):
    return (jnp.sum(jnp.tanh(x) * jnp.sinh(0.5 * x[::-1])) + jnp.sum(jnp.cosh(0.3 * x) * x)
            + jnp.sum(jnp.arctan(x[:-1] * x[1:])) + jnp.sum(jnp.arctan2(x[:-1], x[1:] ** 2 + 1.0)))


add("hyperbolic_atan", hyperbolic_atan, away((8,)))

# --- non-smooth ops evaluated away from kinks ---------------------------------------


def abs_fn(x):
    return jnp.sum(jnp.abs(x[:-1]) * x[1:] ** 2) + jnp.sum(jnp.abs(x) ** 3)


add("abs", abs_fn, away((9,)))


def maxmin_elementwise(x):
    return (jnp.sum(jnp.maximum(x[:6], x[6:]) ** 3) + jnp.sum(jnp.minimum(x, 0.0) ** 2 * x[::-1])
            + jnp.sum(jnp.maximum(x * x[::-1], -0.1) ** 2))


add("maxmin_elementwise", maxmin_elementwise, away((12,)))


def where_select(x):
    a = jnp.where(x > 0, x**3, jnp.sin(x) * x)
    b = lax.select_n(x[:-1] < x[1:], x[:-1] * x[1:], x[:-1] ** 2 + x[1:])
    return jnp.sum(a) + jnp.sum(b**2)


add("where_select", where_select, away((9,)))


def sign_fn(x):
    return jnp.sum(jnp.sign(x) * x**2 * x[::-1]) + jnp.sum(jnp.sign(x[:-1] * x[1:]) * x[1:] ** 3)


add("sign", sign_fn, away((8,)))


def comparisons(x):
    a = jnp.where(x[:-1] < x[1:], x[:-1] * x[1:], x[:-1] ** 2)
    b = jnp.where(x >= 0.0, jnp.exp(x), x**2)
    c = jnp.sum((x > 0).astype(x.dtype) * x**2) + jnp.sum((x[:-1] != x[1:]).astype(x.dtype) * x[1:] ** 3)
    return jnp.sum(a) + jnp.sum(b * x[::-1]) + c


add("comparisons", comparisons, away((9,)))


def clip_fn(x):
    return jnp.sum(jnp.clip(x, -1.0, 1.0) ** 2 * x[::-1]) + jnp.sum(jnp.clip(x * x[::-1], min=-0.1) ** 2)


add("clip", clip_fn, away((8,)))

# --- powers ------------------------------------------------------------------------


def integer_pow(x):
    return jnp.sum(x**3 + x ** (-2)) + jnp.sum(x[:-1] ** 2 * x[1:] ** 4) + jnp.sum(jnp.square(x) * x[::-1])


add("integer_pow", integer_pow, away((8,)))


def real_pow(x):
    return (jnp.sum(x**2.5) + jnp.sum(x[:-1] ** x[1:]) + jnp.sum(jnp.power(2.0, x))
            + jnp.sum(lax.pow(x, 0.5) * x[::-1]))


add("real_pow", real_pow, pos((8,)))

# --- reductions ------------------------------------------------------------------------


def reductions_sum_2d(x):
    return jnp.sum(jnp.sum(x, axis=0) ** 2) + jnp.sum(jnp.sum(x, axis=1, keepdims=True) ** 3 * x) + jnp.mean(x) ** 2


add("reductions_sum_2d", reductions_sum_2d, unif((4, 5)))


def reductions_maxmin(x):
    w = W_VEC[:5]
    return (jnp.sum(jnp.max(x, axis=1) ** 2) + jnp.min(x, axis=0) @ w + jnp.max(x) ** 3
            + jnp.sum(x * jnp.min(x, axis=1, keepdims=True) ** 2) + jnp.sum(jnp.max(x**2, axis=0, keepdims=True)))


add("reductions_maxmin", reductions_maxmin, unif((4, 5)))


def reductions_prod(x):
    return jnp.sum(jnp.prod(x, axis=1)) + jnp.sum(jnp.prod(x[:, :2], axis=0, keepdims=True)) ** 2 + jnp.prod(x[0])


add("reductions_prod", reductions_prod, pos((3, 4), 0.5, 1.5))


def logsumexp_softmax(x):
    return (jax.nn.logsumexp(x) + jnp.sum(jax.nn.logsumexp(x.reshape(2, 5), axis=1) ** 2)
            + jnp.sum(jax.nn.softmax(x) * W_VEC[:10]))


add("logsumexp_softmax", logsumexp_softmax, unif((10,)))


def norm_var(x):
    return jnp.linalg.norm(x) + jnp.linalg.norm(x[:3]) ** 3 + jnp.var(x) + jnp.std(x[4:])


add("norm_var", norm_var, away((9,)))


def cumsum_fn(x):
    return jnp.sum(jnp.cumsum(x) ** 2 * W_VEC[:10]) + jnp.sum(jnp.cumsum(x[::-1] * x) ** 3)


add("cumsum", cumsum_fn, unif((10,)))

# --- structural ops ------------------------------------------------------------------------


def strided_slicing(x):
    return (jnp.sum(x[1::3] ** 3) + jnp.sum(x[::2][:5] * x[1::2]) + jnp.sum(x[-1:2:-4] ** 2 * x[:2])
            + jnp.sum(lax.slice(x, (0,), (9,), (4,)) ** 4))


add("strided_slicing", strided_slicing, unif((11,)))


def concatenate_fn(x):
    y = jnp.concatenate([x[:3] ** 2, jnp.sin(x[3:]), x[:2] * x[-2:]])
    return jnp.sum(y**2 * W_VEC[: y.shape[0]]) + jnp.sum(jnp.stack([x[:4], x[4:8]]) ** 3)


add("concatenate", concatenate_fn, unif((9,)))


def pad_fn(x):
    p = jnp.pad(x, (2, 1))
    q = lax.pad(x, 0.0, [(1, 2, 1)])  # interior padding
    r = lax.pad(x, 0.0, [(-2, 1, 0)])  # negative (cropping) low padding
    return jnp.sum(p[:-3] * x * p[3:]) + jnp.sum(jnp.sin(q) * q[::-1]) + jnp.sum(r**3 * W_VEC[: r.shape[0]])


add("pad", pad_fn, unif((8,)))


def flip_fn(x):
    m = x.reshape(3, 4)
    return jnp.sum(x * jnp.flip(x)) + jnp.sum(x**2 * x[::-1] ** 3) + jnp.sum(jnp.flip(m, axis=1) ** 2 * m)


add("flip", flip_fn, unif((12,)))


def transpose_reshape(x):
    y = x.T.reshape(-1)
    z = x.reshape(-1)
    return jnp.sum(y[:-1] * z[1:]) + jnp.sum(jnp.sin(x.T.reshape(2, 6)) ** 2 @ W_VEC[:6]) + jnp.sum(jnp.transpose(x) * x.T ** 2)


add("transpose_reshape", transpose_reshape, unif((3, 4)))


def broadcasting(x):
    a = jnp.tanh(x + x[0:1, :]) ** 2
    b = (x[:, :, None] - x[:, None, :]) ** 2
    return jnp.sum(a) + jnp.sum(b * x[:, :, None]) + jnp.sum(x * jnp.sum(x, axis=0)[None, :] ** 2)


add("broadcasting", broadcasting, unif((3, 4)))


def gather_graph_energy(x):
    xi, xj = x[G_E1], x[G_E2]
    return jnp.sum((xi - xj) ** 2) + jnp.sum(jnp.sin(xi * xj)) + 0.1 * jnp.sum(x**4)


add("gather_graph_energy", gather_graph_energy, unif((G_N,)),
    hess_pattern=lambda: edges_pattern(G_N, G_E1, G_E2))

G_IDX = np.array([3, 0, 3, 7, 1, 1, 5], dtype=np.int32)


def gather_repeated(x):
    m = x.reshape(4, 5)
    rows = m[np.array([2, 0, 2])]
    pts = m[np.array([0, 3, 1]), np.array([4, 0, 2])]
    return jnp.sum(x[G_IDX] ** 3 * W_VEC[:7]) + jnp.sum(rows**2 * rows[::-1]) + jnp.prod(pts)


add("gather_repeated", gather_repeated, unif((20,)))


def scatter_add(x):
    y = jnp.zeros(SC_M, dtype=x.dtype).at[SC_IDX].add(x)
    return jnp.sum(y**3 + jnp.sin(y))


add("scatter_add", scatter_add, unif((SC_N,)),
    hess_pattern=lambda: SC_IDX[:, None] == SC_IDX[None, :])


def dynamic_slice_fn(x):
    s = lax.dynamic_slice(x, (3,), (5,))
    m = lax.dynamic_slice(x.reshape(3, 4), (1, 1), (2, 2))
    return jnp.sum(s**2 * x[:5]) + jnp.sum(m**3) + jnp.sum(lax.dynamic_slice_in_dim(x, 6, 4) ** 2 * x[::3])


add("dynamic_slice", dynamic_slice_fn, unif((12,)))


def dot_quadratic(x):
    return x @ QF_B @ x + jnp.dot(x[:5], x[5:]) ** 2 + jnp.sum(jnp.matmul(QF_B[:3], x) ** 3)


add("dot_quadratic", dot_quadratic, unif((QF_N,)))


def einsum_batch(x):
    X = x.reshape(3, 2, 4)
    Y = jnp.einsum("bij,bkj->bik", X, X)
    return jnp.sum(Y**2)


add("einsum_batch", einsum_batch, unif((24,)),
    hess_pattern=lambda: block_diag_ones(3, 8))


def matmul_2d(x):
    return jnp.trace(x @ x) + jnp.sum((x @ x.T) ** 2) + jnp.sum(jnp.tril(x) * x.T)


add("matmul_2d", matmul_2d, unif((3, 3)))

# --- transformations --------------------------------------------------------------------------

_inner_jit = jax.jit(lambda y: jnp.sin(y[:-1]) * y[1:])


def nested_jit(x):
    @jax.jit
    def g(z):
        return jnp.sum(z**3)

    return jnp.sum(_inner_jit(x) ** 2) + g(x[::2] * x[1::2])


add("nested_jit", nested_jit, unif((10,)))


@jax.custom_jvp
def softplus_cjvp(x):
    return jnp.log1p(jnp.exp(x))


@softplus_cjvp.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus_cjvp(x), jax.nn.sigmoid(x) * t


def custom_jvp_softplus(x):
    return jnp.sum(softplus_cjvp(x[:-1] * x[1:])) + jnp.sum(softplus_cjvp(x) ** 2)


add("custom_jvp_softplus", custom_jvp_softplus, unif((9,)),
    hess_pattern=lambda: banded(9, 1))


def checkpoint_fn(x):
    g = jax.checkpoint(lambda y: jnp.sin(y) * y[::-1])
    return jnp.sum(g(x) ** 2) + jnp.sum(jax.checkpoint(jnp.cos)(x[:-1] * x[1:]))


add("checkpoint", checkpoint_fn, unif((8,)))


def stop_gradient_fn(x):
    return jnp.sum(lax.stop_gradient(x[::-1]) * x**2) + jnp.sum(jnp.exp(x[:-1] * x[1:]))


add("stop_gradient", stop_gradient_fn, unif((8,)))

# --- argument handling / edge cases --------------------------------------------------------------


def two_args(p, x):
    return jnp.sum(p * x**2 * x[::-1]) + jnp.sum(jnp.exp(p[:-1] * x[1:])) + jnp.sum(p[1:] * x[:-1] * x[1:])


add("argnums1", two_args, lambda rng: (rng.normal(size=8), rng.uniform(-1, 1, size=8)), argnums=1)
add("argnums0_of_two", two_args, lambda rng: (rng.normal(size=8), rng.uniform(-1, 1, size=8)), argnums=0,
    # in p only exp(p[i] * x[i+1]) is nonlinear: diagonal except the last entry
    hess_pattern=lambda: np.diag(np.arange(8) < 7))

INT_IDX = np.array([4, 4, 0, 2, 6], dtype=np.int32)


def int_index_arg(x, idx):
    return jnp.sum(x[idx] ** 2 * x[: idx.shape[0]]) + jnp.sum(jnp.sin(x))


add("int_index_arg", int_index_arg, lambda rng: (rng.uniform(-1, 1, size=7), INT_IDX.copy()))


def scalar_input(x):
    return x**3 * jnp.sin(x) + jnp.exp(x)


add("scalar_input", scalar_input, away(()), hess_pattern=lambda: np.ones((1, 1), bool))


def single_element(x):
    return jnp.sum(jnp.cos(x) * x**2)


add("single_element", single_element, away((1,)), hess_pattern=lambda: np.ones((1, 1), bool))


def linear_fn(x):
    return jnp.sum(W_VEC[:8] * x) + 3.0


add("linear", linear_fn, unif((8,)), hess_pattern=lambda: np.zeros((8, 8), bool))


def partial_dependence(x):
    return jnp.sum(x[:3] ** 2 * x[1:4]) + x[6]


def _partial_dependence_pattern():
    P = np.zeros((8, 8), bool)
    P[:4, :4] = banded(4, 1)
    P[3, 3] = False  # x[3] only enters linearly (x[2]**2 * x[3])
    return P


add("partial_dependence", partial_dependence, unif((8,)), hess_pattern=_partial_dependence_pattern)


def three_d_input(x):
    return jnp.sum(jnp.sum(x, axis=(0, 2)) ** 2) + jnp.sum(jnp.sin(x) * jnp.transpose(x, (0, 2, 1)).reshape(x.shape))


add("three_d_input", three_d_input, unif((2, 3, 3)))


def int_constant_mix(x):
    k = jnp.arange(x.shape[0])
    return jnp.sum(x**2 * k) + jnp.sum((x * (k % 3)) ** 3)


add("int_constant_mix", int_constant_mix, unif((9,)))

# ==========================================================================
# Vector-valued functions (Jacobians)
# ==========================================================================


def tanh_Mx(x):
    return jnp.tanh(M_TANH @ x)


add("tanh_Mx", tanh_Mx, unif((10,)), scalar=False)

add("broyden_residual", broyden_residual, unif((10,)), scalar=False,
    jac_pattern=lambda: banded(10, 1))


def elementwise_vec(x):
    return jnp.sin(x) * jnp.exp(x) + x**2


add("elementwise_vec", elementwise_vec, unif((3, 4)), scalar=False,
    jac_pattern=lambda: np.eye(12, dtype=bool))


def cumsum_vec(x):
    return jnp.cumsum(x) * x


add("cumsum_vec", cumsum_vec, unif((8,)), scalar=False)


def gather_vec(x):
    return x[G_E1] * x[G_E2]


def _gather_vec_pattern():
    P = np.zeros((len(G_E1), G_N), bool)
    P[np.arange(len(G_E1)), G_E1] = True
    P[np.arange(len(G_E1)), G_E2] = True
    return P


add("gather_vec", gather_vec, unif((G_N,)), scalar=False, jac_pattern=_gather_vec_pattern)


def scatter_vec(x):
    return jnp.zeros(SC_M, dtype=x.dtype).at[SC_IDX].add(x**2)


add("scatter_vec", scatter_vec, away((SC_N,)), scalar=False,
    jac_pattern=lambda: np.arange(SC_M)[:, None] == SC_IDX[None, :])


def grid_laplacian_vec(x):
    u = jnp.pad(x, 1)
    lap = 4.0 * x - u[:-2, 1:-1] - u[2:, 1:-1] - u[1:-1, :-2] - u[1:-1, 2:]
    return lap + 0.1 * x**3


add("grid_laplacian_vec", grid_laplacian_vec, unif((GRID_H, GRID_W)), scalar=False,
    jac_pattern=lambda: grid5_pattern(GRID_H, GRID_W))

add("mlp_batch_vec", mlp_forward, unif((MLP_D, MLP_C)), scalar=False,
    jac_pattern=lambda: np.kron(np.eye(MLP_D, dtype=bool), np.ones((MLP_K, MLP_C), bool)))


def structural_vec(x):
    return jnp.concatenate([jnp.pad(x[:3], (1, 0)) * 2.0, jnp.flip(x) ** 2, x[1::2] * x[::2][:4]])


add("structural_vec", structural_vec, unif((8,)), scalar=False)


def keepdims_vec(x):
    return jnp.sum(x, axis=1, keepdims=True) * x + jnp.max(x, axis=0, keepdims=True)


add("keepdims_vec", keepdims_vec, unif((3, 4)), scalar=False)


def transpose_vec(x):
    return x.T ** 2


def _transpose_vec_pattern():
    P = np.zeros((12, 12), bool)
    for i in range(3):
        for j in range(4):
            P[j * 3 + i, i * 4 + j] = True
    return P


add("transpose_vec", transpose_vec, unif((3, 4)), scalar=False, jac_pattern=_transpose_vec_pattern)


def einsum_vec(x):
    return jnp.einsum("bij,bkj->bik", x, x)


add("einsum_vec", einsum_vec, unif((3, 2, 4)), scalar=False)


def argnums1_vec(p, x):
    return p * jnp.sin(x) + p[::-1] * x**2


add("argnums1_vec", argnums1_vec, lambda rng: (rng.normal(size=6), rng.uniform(-1, 1, size=6)),
    scalar=False, argnums=1)


def dynamic_slice_vec(x):
    return lax.dynamic_slice(x, (2,), (4,)) * x[:4] + lax.dynamic_update_slice(jnp.zeros(4, x.dtype), x[:2] ** 2, (1,))


add("dynamic_slice_vec", dynamic_slice_vec, unif((9,)), scalar=False)


SCALAR_CASES = [c for c in ZOO if c.scalar]
VECTOR_CASES = [c for c in ZOO if not c.scalar]


# --------------------------------------------------------------------------
# Dense references (jit-compiled once per case, cached per point)
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _dense_hess_fn(name):
    c = by_name(name)
    return jax.jit(jax.hessian(c.f, argnums=c.argnums))


@functools.lru_cache(maxsize=None)
def _dense_jac_fn(name):
    c = by_name(name)
    return jax.jit(jax.jacfwd(c.f, argnums=c.argnums))


@functools.lru_cache(maxsize=None)
def dense_hessian(name, k):
    """(jax-shaped Hessian, (n, n) numpy matrix) of scalar case `name` at point k."""
    c = by_name(name)
    args = c.args(k)
    H = np.asarray(_dense_hess_fn(name)(*args))
    n = int(np.size(args[c.argnums]))
    return H, H.reshape(n, n)


@functools.lru_cache(maxsize=None)
def dense_jacobian(name, k):
    """(jax-shaped Jacobian, (m, n) numpy matrix) of case `name` at point k (m = 1 for scalar f)."""
    c = by_name(name)
    args = c.args(k)
    J = np.asarray(_dense_jac_fn(name)(*args))
    n = int(np.size(args[c.argnums]))
    return J, J.reshape(-1, n)
