"""Constrained test problems in plain jax.numpy, after the COPS collection (Dolan, Moré,
Munson: "Benchmarking optimization software with COPS 3.0", ANL/MCS-TM-273, 2004), for the
Ipopt examples, tests and benchmark.

Each function returns a :class:`ConstrainedProblem`: ``f(x)``, ``x0`` (n,), ``constraints``
as ``(c, lb, ub)`` tuples and ``bounds`` (``scipy.optimize.Bounds``; lb == ub fixes a variable).
"""

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np
import scipy.optimize as so


@dataclass
class ConstrainedProblem:
    name: str
    f: object
    x0: np.ndarray
    constraints: list = field(default_factory=list)
    bounds: so.Bounds = None

    @property
    def n(self) -> int:
        return int(self.x0.size)


def hs071():
    """Hock-Schittkowski problem 71 (Ipopt's tutorial problem): n = 4, x* ≈ (1, 4.743,
    3.821, 1.379), f* ≈ 17.014."""
    def f(x):
        return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]
    constraints = [(lambda x: jnp.prod(x), 25.0, np.inf),
                   (lambda x: jnp.sum(x ** 2), 40.0, 40.0)]
    return ConstrainedProblem("hs071", f, np.array([1.0, 5.0, 5.0, 1.0]), constraints,
                              so.Bounds(np.ones(4), 5 * np.ones(4)))


def hanging_chain(nh: int, length=4.0, a=1.0, b=3.0):
    """COPS "chain" as an optimal-control problem: a chain of ``length`` hanging between
    heights a and b over [0, 1], on nh intervals (trapezoidal rule).  States x1 (height),
    x2 (potential energy), x3 (arc length) and control u = x1'; minimize x2(1).
    x = (u, x1, x2, x3), each (nh + 1,): n = 4 (nh + 1), 3 nh equality constraints,
    boundary values as fixed bounds.  f* ≈ 5.0685 for the defaults."""
    h = 1.0 / nh
    t = np.linspace(0.0, 1.0, nh + 1)
    tmin = 0.25 if b > a else 0.75
    u0 = 4 * abs(b - a) * (t - tmin)
    x10 = 4 * abs(b - a) * t * (0.5 * t - tmin) + a

    def split(x):
        return x[:nh + 1], x[nh + 1:2 * (nh + 1)], x[2 * (nh + 1):3 * (nh + 1)], x[3 * (nh + 1):]

    def trapezoid(values):
        return 0.5 * h * (values[1:] + values[:-1])

    def f(x):
        return split(x)[2][-1]

    def dynamics(x):
        u, x1, x2, x3 = split(x)
        arc = jnp.sqrt(1.0 + u ** 2)
        return jnp.concatenate([x1[1:] - x1[:-1] - trapezoid(u),
                                x2[1:] - x2[:-1] - trapezoid(x1 * arc),
                                x3[1:] - x3[:-1] - trapezoid(arc)])

    arc0 = np.sqrt(1.0 + u0 ** 2)
    x20 = np.concatenate([[0.0], np.cumsum(0.5 * h * (x10 * arc0)[1:] + 0.5 * h * (x10 * arc0)[:-1])])
    x30 = np.concatenate([[0.0], np.cumsum(0.5 * h * (arc0[1:] + arc0[:-1]))])
    x0 = np.concatenate([u0, x10, x20, x30])
    lb, ub = np.full(x0.size, -np.inf), np.full(x0.size, np.inf)
    m = nh + 1
    for index, value in ((m, a), (2 * m - 1, b), (2 * m, 0.0), (3 * m, 0.0), (4 * m - 1, length)):
        lb[index] = ub[index] = value
    x0 = np.clip(x0, lb, ub)
    return ConstrainedProblem(f"hanging chain (nh={nh})", f, x0, [(dynamics, 0.0, 0.0)],
                              so.Bounds(lb, ub))


def catenary(links: int, slack=1.5):
    """A chain of ``links`` links of length at most ``slack / links`` between (0, 0) and
    (1, 0) in the vertical plane, minimizing the potential energy (mean height).  x = (p_0,
    ..., p_links) with p_i = (y_i, z_i): n = 2 (links + 1); one inequality
    |p_{i+1} - p_i|² / ℓ² <= 1 per link (scaled, so that a solver's absolute constraint
    tolerance means the same at every size; active at the solution, a catenary); the end
    points fixed by bounds.  f* ≈ -0.30 for the default slack."""
    ell = slack / links
    y0 = np.linspace(0.0, 1.0, links + 1)
    z0 = -0.1 * np.sin(np.pi * y0)
    x0 = np.stack([y0, z0], axis=1).reshape(-1)

    def f(x):
        return jnp.sum(x.reshape(-1, 2)[:, 1]) / links

    def link_lengths(x):
        d = jnp.diff(x.reshape(-1, 2), axis=0)
        return jnp.sum(d ** 2, axis=1) / ell ** 2

    lb, ub = np.full(x0.size, -np.inf), np.full(x0.size, np.inf)
    for index, value in ((0, 0.0), (1, 0.0), (x0.size - 2, 1.0), (x0.size - 1, 0.0)):
        lb[index] = ub[index] = value
    return ConstrainedProblem(f"catenary (links={links})", f, x0,
                              [(link_lengths, -np.inf, 1.0)], so.Bounds(lb, ub))


def torsion(nx: int, ny=None, c=5.0):
    """COPS "torsion": elastic-plastic torsion of a bar with square cross-section, on an
    nx × ny grid of interior points (zero on the boundary): minimize
    ∫ ½|∇v|² - c v  (piecewise-linear elements on the triangles of the grid) subject to
    |v| <= distance to the boundary.  n = nx ny, bounds only."""
    ny = nx if ny is None else ny
    hx, hy = 1.0 / (nx + 1), 1.0 / (ny + 1)
    area = 0.5 * hx * hy
    i = np.arange(1, nx + 1)[:, None]
    j = np.arange(1, ny + 1)[None, :]
    dist = np.minimum(np.minimum(i, nx + 1 - i) * hx, np.minimum(j, ny + 1 - j) * hy)

    def f(x):
        v = jnp.pad(x.reshape(nx, ny), 1)
        dx = (v[1:, :] - v[:-1, :]) / hx           # (nx + 1, ny + 2)
        dy = (v[:, 1:] - v[:, :-1]) / hy           # (nx + 2, ny + 1)
        lower = jnp.sum(dx[:, :-1] ** 2) + jnp.sum(dy[:-1, :] ** 2)
        upper = jnp.sum(dx[:, 1:] ** 2) + jnp.sum(dy[1:, :] ** 2)
        return 0.5 * area * (lower + upper) - c * hx * hy * jnp.sum(x)

    d = dist.reshape(-1)
    return ConstrainedProblem(f"torsion ({nx}x{ny})", f, d.copy(), [], so.Bounds(-d, d))
