"""Detection rules by primitive class; ``registry.py`` maps each JAX primitive to one.

Structural rules (``EqnContext -> EqnStructure``): ``elementwise``, ``movement``,
``reductions``, ``contractions``. Walking rules (``(prop, eqn, ins) -> output Values``, for
equations holding jaxprs): ``calls``, ``control_flow`` (with ``loop_bodies``) and
``custom_derivatives``.
"""
