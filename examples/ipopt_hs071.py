"""Ipopt on JAX code in three lines: Hock-Schittkowski problem 71 (Ipopt's tutorial).

    min  x0 x3 (x0 + x1 + x2) + x2
    s.t. x0 x1 x2 x3 >= 25,  x0² + x1² + x2² + x3² = 40,  1 <= x <= 5

sparsehess.ipopt.minimize hands Ipopt the exact constraint Jacobian and the exact Hessian
of the Lagrangian in lower-triangle form, detected, colored and compiled from the JAX code.
Needs cyipopt: pip install 'sparsehess[ipopt]'.  JAX's global x64 flag is left alone (the
solve is float64 all the same).

Run: python examples/ipopt_hs071.py
"""

import jax
import jax.numpy as jnp
import numpy as np

import sparsehess.ipopt


def f(x):
    return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]


constraints = [(jnp.prod, 25.0, np.inf),                       # (c, lb, ub)
               (lambda x: jnp.sum(x ** 2), 40.0, 40.0)]        # lb == ub: equality
result = sparsehess.ipopt.minimize(f, np.array([1.0, 5.0, 5.0, 1.0]), constraints=constraints,
                                   bounds=[(1.0, 5.0)] * 4)

print(f"status {result.status}: {result.message}")
print(f"x = {np.array2string(result.x, precision=8)}")
print(f"f = {result.fun:.10f} after {result.nit} iterations")
print(f"multipliers = {np.array2string(result.multipliers, precision=8)}")
print(f"c(x) = {np.array2string(result.constr, precision=12)}")
print(f"derivative evaluations: {result.evaluations}")
print(f"jax_enable_x64 still {jax.config.jax_enable_x64}; x is {result.x.dtype}", flush=True)

# Ipopt's own iteration log, and a hook called once per iteration:
trace = []
sparsehess.ipopt.minimize(f, np.array([1.0, 5.0, 5.0, 1.0]), constraints=constraints,
                          bounds=[(1.0, 5.0)] * 4, options={"print_level": 5},
                          intermediate=lambda info: trace.append(info["obj_value"]))
print(f"objective by iteration: {np.array2string(np.array(trace), precision=4)}")
