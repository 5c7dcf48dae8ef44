"""sparsehess.register_sparsity_rule: user primitives get exact patterns instead of the
conservative fallback, checked against dense JAX."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

import sparsehess
from sparsehess._src.detection import registry
from sparsehess._src.detection.rules import elementwise
from sparsehess.errors import InternalError


def _elementwise_primitive(name, impl, *jvps):
    """A JAX primitive computing ``impl`` elementwise (one JVP rule per operand), usable by
    jax.hessian: its JVPs are built from jnp, so they differentiate again."""
    p = Primitive(name)
    p.def_impl(impl)
    p.def_abstract_eval(lambda *avals: avals[0])
    ad.defjvp(p, *jvps)
    (batching.defvectorized if len(jvps) == 1 else batching.defbroadcasting)(p)
    mlir.register_lowering(p, mlir.lower_fun(impl, multiple_results=False))
    return p


SIN = _elementwise_primitive("test_sin", jnp.sin, lambda g, x: g * jnp.cos(x))
# out = a * b elementwise: curvature only between a and b, none on the diagonal
PROD = _elementwise_primitive("test_prod", lambda a, b: a * b,
                              lambda g, a, b: g * b, lambda g, a, b: g * a)


@pytest.fixture(autouse=True)
def fresh_registry():
    saved = dict(registry.USER_RULES)
    yield
    registry.USER_RULES.clear()
    registry.USER_RULES.update(saved)


def chain(x):
    """sum_i sin(x_i) * x_{i+1}: a tridiagonal Hessian."""
    return jnp.sum(PROD.bind(SIN.bind(x[:-1]), x[1:]))


def _numeric_hessian_pattern(f, n, points=3):
    rng = np.random.default_rng(0)
    return np.any([np.asarray(jax.hessian(f)(jnp.asarray(rng.normal(size=n)))) != 0
                   for _ in range(points)], axis=0)


def test_unregistered_primitive_warns_and_is_conservative():
    x = jnp.ones(6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pattern = sparsehess.hessian_sparsity(chain, x)
    named = {str(w.message).split("'")[1] for w in caught
             if issubclass(w.category, sparsehess.SparsityWarning)}
    assert named == {"test_sin", "test_prod"}
    assert pattern.nnz > 3 * 6  # denser than tridiagonal: the fallback


def test_registered_classes_give_the_exact_pattern():
    sparsehess.register_sparsity_rule(SIN, "nonlinear_unary")
    sparsehess.register_sparsity_rule(PROD, "bilinear")
    n = 8
    x = jnp.linspace(0.1, 1.0, n)
    with warnings.catch_warnings():
        warnings.simplefilter("error", sparsehess.SparsityWarning)
        pattern = sparsehess.hessian_sparsity(chain, x).toarray()
    exact = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
    exact[n - 1, n - 1] = False  # x_{n-1} enters linearly only
    np.testing.assert_array_equal(pattern, exact)
    assert not (_numeric_hessian_pattern(chain, n) & ~pattern).any()
    h = sparsehess.hessian(chain)(x).todense()
    np.testing.assert_allclose(h, jax.hessian(chain)(x), rtol=1e-6, atol=1e-6)


def test_a_function_rule_is_used():
    calls = []

    def rule(ctx):
        calls.append(ctx.eqn.primitive)
        return elementwise.nonlinear_unary(ctx)

    sparsehess.register_sparsity_rule(SIN, rule)
    f = lambda x: jnp.sum(SIN.bind(x))
    pattern = sparsehess.hessian_sparsity(f, jnp.ones(5)).toarray()
    np.testing.assert_array_equal(pattern, np.eye(5, dtype=bool))
    assert calls and calls[0] is SIN


def test_a_registered_rule_replaces_the_built_in_one():
    sparsehess.register_sparsity_rule(jax.lax.sin_p, "conservative")
    pattern = sparsehess.hessian_sparsity(lambda x: jnp.sum(jnp.sin(x)), jnp.ones(4))
    assert pattern.nnz == 16


def test_bad_registrations_say_what_is_accepted():
    with pytest.raises(ValueError, match="nonlinear_unary"):
        sparsehess.register_sparsity_rule(SIN, "nonlinear-unary")
    with pytest.raises(TypeError, match="JAX primitive"):
        sparsehess.register_sparsity_rule("sin", "linear")
    with pytest.raises(TypeError, match="class name"):
        sparsehess.register_sparsity_rule(SIN, 3)


def _installed_primitive_names():
    """Names of every primitive object defined by the installed JAX's modules."""
    import importlib
    import pkgutil
    import sys

    import jax._src

    for info in pkgutil.walk_packages(jax._src.__path__, "jax._src."):
        try:
            importlib.import_module(info.name)
        except Exception:  # optional back ends (TPU, GPU, Mosaic) need what is not installed
            pass
    return {v.name for m in list(sys.modules.values())
            if getattr(m, "__name__", "").startswith("jax")
            for v in list(vars(m).values()) if isinstance(v, Primitive)}


def test_registry_is_keyed_by_the_installed_jax_primitive_objects():
    known = _installed_primitive_names()
    assert len(known) > 200
    assert all(isinstance(p, Primitive) for p in registry.REGISTRY)
    names = {p.name for p in registry.REGISTRY}
    assert names <= known
    # the scatter family is covered whole: JAX's scatter-sub / -min / -max included
    assert {n for n in known if n.startswith("scatter")} <= names
    assert {jax.lax.add_p, jax.lax.exp_p, jax.lax.scatter_sub_p, jax.lax.while_p} <= \
        set(registry.REGISTRY)
    assert registry.REGISTRY[jax.lax.gather_p].array_indexed
    assert registry.REGISTRY[jax.lax.dynamic_slice_p].indexed.start == 1
    assert not registry.REGISTRY[jax.lax.exp_p].array_indexed


def test_a_misspelled_table_name_fails_loudly():
    with pytest.raises(InternalError, match="scatter_add"):
        registry.define("linear", ("scatter_add",), elementwise.linear)
    assert registry.primitives_named("pjit") == [] or \
        registry.primitives_named("pjit")[0].name == "pjit"    # other-version names may lack
