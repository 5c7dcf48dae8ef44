"""Argument handling shared by detection and differentiation: argnums, pytrees, checks.

The differentiated arguments (``argnums``) are flattened, leaf by leaf in
``jax.tree_util`` order and each leaf row-major, into one vector of length n.
"""

from dataclasses import dataclass

import jax
import numpy as np

from . import dtypes


def normalize_argnums(argnums, nargs: int) -> tuple:
    """``argnums`` as a sorted tuple of non-negative ints, checked against ``nargs``."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise ValueError("argnums is empty: name at least one argument to differentiate")
    out = []
    for a in nums:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"argnums must be ints, got {a!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"argnums={argnums} refers to argument {a}, but f was called with "
                             f"{nargs} positional argument(s)")
        out.append(int(a) % nargs)
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class LeafSpec:
    shape: tuple
    dtype: object              # np.dtype, or a JAX extended dtype (PRNG keys)


@dataclass(frozen=True)
class ArgumentLayout:
    """Where the leaves of the call's arguments go: which are differentiated, their shapes."""

    treedef: object            # tree structure of the whole ``args`` tuple
    leaves: tuple              # LeafSpec per leaf, in tree order
    differentiated: tuple      # bool per leaf

    @property
    def n(self) -> int:
        """Number of differentiated scalar inputs."""
        return sum(int(np.prod(l.shape)) for l, d in zip(self.leaves, self.differentiated) if d)


def layout_of(args, argnums) -> ArgumentLayout:
    """Describe ``args`` (the positional arguments of one call) for differentiation."""
    nums = normalize_argnums(argnums, len(args))
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    flags, owners = [], []
    for i, arg in enumerate(args):
        count = len(jax.tree_util.tree_leaves(arg))
        flags += [i in nums] * count
        owners += [i] * count
    specs = []
    for leaf, diff, owner in zip(leaves, flags, owners):
        dtype = np.result_type(leaf) if not hasattr(leaf, "dtype") else dtypes.canonical(leaf.dtype)
        shape = tuple(np.shape(leaf))
        if diff:
            check_differentiable(dtype, shape, f"argument {owner}")
        specs.append(LeafSpec(shape, dtype))
    if not any(flags):
        raise ValueError("the differentiated arguments contain no arrays")
    return ArgumentLayout(treedef, tuple(specs), tuple(flags))


def check_differentiable(dtype, shape, where="a differentiated argument"):
    """Raise a TypeError naming the problem unless ``dtype`` is a real floating-point
    dtype (float16, bfloat16, float32, float64, ...); ``where`` names the argument."""
    if dtypes.is_key(dtype):
        raise TypeError(
            f"{where} of f is in argnums but is a PRNG key array (dtype {dtype}, shape "
            f"{shape}): keys carry no derivative. Leave it out of argnums; as a "
            f"non-differentiated argument it is fine.")
    if not dtypes.is_floating(dtype):
        raise TypeError(
            f"sparsehess differentiates with respect to floating-point arrays, but "
            f"{where} (in argnums) has dtype {dtype} (shape {shape}). Convert it with "
            f"x.astype(float), or leave it out of argnums.")


def abstract_leaves(layout: ArgumentLayout):
    """ShapeDtypeStructs of all leaves, for tracing."""
    return [jax.ShapeDtypeStruct(l.shape, l.dtype) for l in layout.leaves]


def flat_function(f, layout: ArgumentLayout):
    """``f`` as a function of all leaves returning the list of output leaves."""
    def fun(*leaves):
        args = jax.tree_util.tree_unflatten(layout.treedef, leaves)
        return jax.tree_util.tree_leaves(f(*args))
    return fun
