"""Recovery: from compressed products back to the nonzeros of the matrix.

``direct`` (host tables: where each nonzero is read), ``substitution`` (the schedule of the
acyclic colorings' trees, numba) and ``jax_recovery`` (the jittable ``Recovery`` pytree that
applies a table on the device). The coloring results (``sparsehess.coloring.result``) build
the tables; only ``jax_recovery`` imports JAX, and it is loaded when a JAX recovery is asked.
"""
