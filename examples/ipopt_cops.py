"""COPS problems with Ipopt and sparsehess's exact sparse Hessian of the Lagrangian.

  hanging chain   a chain of length 4 between heights 1 and 3, an optimal-control form
                  with states (height, energy, arc length): equality constraints
  catenary        links of bounded length between two fixed points: inequality constraints
  torsion         elastic-plastic torsion of a square bar: bounds only

Each is written in plain jax.numpy (sparsehess/cops.py); the Lagrangian Hessian
sigma ∇²f + Σ λ_i ∇²c_i is colored once on the union of the patterns and costs a few
Hessian-vector products per Ipopt iteration, whatever n is.  Needs cyipopt.

Run: python examples/ipopt_cops.py
"""

import time

import sparsehess.ipopt
from sparsehess import cops

for problem in (cops.hanging_chain(2000), cops.catenary(2000), cops.torsion(60)):
    start = time.perf_counter()
    result = sparsehess.ipopt.minimize(problem.f, problem.x0, constraints=problem.constraints,
                                       bounds=problem.bounds)
    seconds = time.perf_counter() - start
    plan = result.problem.hessian_plan
    print(f"{problem.name}: n = {problem.n}, m = {result.problem.m}, status {result.status}, "
          f"f = {result.fun:.8f}, {result.nit} iterations, {seconds:.1f} s "
          f"(derivatives {sum(result.times.values()):.2f} s); Hessian nnz = {plan.pattern.nnz}, "
          f"colors: {plan.ncolors}")
