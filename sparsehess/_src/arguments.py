"""Argument handling shared by detection and differentiation: argnums, pytrees, signatures.

The leaves of f's positional arguments are of two kinds:
  * array leaves (JAX and NumPy arrays and scalars, ``jax.ShapeDtypeStruct``): traced, so
    a plan is valid for any of their values;
  * static leaves (Python numbers, strings, other objects) that are not differentiated:
    passed to f unchanged, as ``jax.hessian`` does, so they can be sizes or flags; a plan
    is specific to their values (like jit's static arguments) and they must be hashable.
The differentiated leaves (``argnums``) form one vector of length n: argument by argument
in ``argnums`` order, leaf by leaf in ``jax.tree_util`` order, each leaf row-major — the
leaf order of ``jax.hessian(f, argnums)``'s result.
"""

import operator
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import dtypes


def normalize_argnums(argnums, nargs: int) -> tuple:
    """``argnums`` as a tuple of non-negative ints in the given order, checked against
    ``nargs``; an int (NumPy ints too) gives a 1-tuple."""
    nums = (argnums,) if is_single(argnums) else tuple(argnums)
    if not nums:
        raise ValueError("argnums is empty: name at least one argument to differentiate")
    out = []
    for a in nums:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}") from None
        if not -nargs <= a < nargs:
            raise ValueError(f"argnums={argnums} refers to argument {a}, but f was called with "
                             f"{nargs} positional argument(s)")
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"argnums={argnums} names an argument twice")
    return tuple(out)


def is_single(argnums) -> bool:
    """Whether ``argnums`` is one int (results for one argument) rather than a sequence."""
    if isinstance(argnums, (tuple, list)):
        return False
    try:
        operator.index(argnums)
    except TypeError:
        if isinstance(argnums, (float, complex, str, bytes)) or not hasattr(argnums, "__iter__"):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}") from None
        return False
    return True


def is_array_leaf(leaf) -> bool:
    """Whether a leaf is traced (an array) rather than passed to f as a static value."""
    return isinstance(leaf, (jax.Array, np.ndarray, np.generic, jax.ShapeDtypeStruct)) or \
        hasattr(leaf, "__jax_array__")


def _dtype_of(leaf):
    """The dtype JAX computes a leaf in (canonical for the current x64 setting; PRNG key
    dtypes as they are)."""
    dtype = leaf.dtype if hasattr(leaf, "dtype") else jnp.result_type(leaf)
    if dtypes.is_key(dtype):
        return dtype
    return np.dtype(jax.dtypes.canonicalize_dtype(dtype))


def _weak_type(leaf) -> bool:
    if isinstance(leaf, jax.ShapeDtypeStruct):
        return bool(leaf.weak_type)
    if isinstance(leaf, jax.Array):
        return bool(jax.typeof(leaf).weak_type)
    return isinstance(leaf, (int, float, complex))       # Python scalars are weakly typed


@dataclass(frozen=True)
class LeafSpec:
    """One leaf of the arguments: an array (shape, dtype, weak type) or a static value."""

    shape: tuple
    dtype: object              # np.dtype, a JAX extended dtype (PRNG keys), None if static
    weak_type: bool = False
    static: bool = False
    value: object = None       # the static value itself

    def describe(self) -> str:
        if self.static:
            return f"static {type(self.value).__name__} {self.value!r}"
        return f"{self.dtype}{list(self.shape)}"


def leaf_spec(leaf, *, differentiated: bool = False) -> LeafSpec:
    """The LeafSpec of one argument leaf; non-array leaves are static unless differentiated."""
    if not differentiated and not is_array_leaf(leaf):
        try:
            hash(leaf)
        except TypeError:
            raise TypeError(
                f"an argument leaf of type {type(leaf).__name__} is neither an array nor "
                f"hashable. Non-array arguments are passed to f as static values and plans are "
                f"cached by their value; pass an array, a hashable value, or close over it "
                f"(functools.partial).") from None
        return LeafSpec((), None, static=True, value=leaf)
    return LeafSpec(tuple(np.shape(leaf)), _dtype_of(leaf), _weak_type(leaf))


def signature(args) -> tuple:
    """What a plan is specific to: pytree structure, a LeafSpec per leaf (static values
    included) and the x64 setting (it decides the dtypes f computes in)."""
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    return treedef, tuple(leaf_spec(l) for l in leaves), bool(jax.config.jax_enable_x64)


@dataclass(frozen=True)
class ArgumentLayout:
    """Where the leaves of one call's arguments go: which are differentiated, in which order,
    which are static."""

    treedef: object            # tree structure of the whole ``args`` tuple
    leaves: tuple              # LeafSpec per leaf, in tree order
    differentiated: tuple      # bool per leaf
    order: tuple               # leaf indices of the differentiated leaves, in flat order
    selected: object           # tree structure of args[argnums] (a tuple for tuple argnums)
    x64: bool                  # jax_enable_x64 when the layout was made

    @property
    def n(self) -> int:
        """Number of differentiated scalar inputs."""
        return sum(int(np.prod(self.leaves[i].shape)) for i in self.order)

    @property
    def dynamic(self) -> tuple:
        """Indices of the array (traced) leaves, in tree order."""
        return tuple(i for i, s in enumerate(self.leaves) if not s.static)

    @property
    def signature(self) -> tuple:
        return self.treedef, self.leaves, self.x64

    def offsets(self) -> dict:
        """{leaf index: offset of its first element in the flat vector} for differentiated leaves."""
        out, offset = {}, 0
        for i in self.order:
            out[i] = offset
            offset += int(np.prod(self.leaves[i].shape))
        return out

    def dynamic_leaves(self, args) -> list:
        """The traced leaves of ``args`` after checking them against this layout."""
        check_signature(self, args)
        leaves = jax.tree_util.tree_leaves(tuple(args))
        return [leaves[i] for i in self.dynamic]

    def all_leaves(self, dynamic) -> list:
        """Every leaf in tree order: ``dynamic`` (the traced ones) with the static values."""
        out, it = [], iter(dynamic)
        for spec in self.leaves:
            out.append(spec.value if spec.static else next(it))
        return out


def check_signature(layout: ArgumentLayout, args) -> None:
    """Raise one error naming expected vs got when ``args`` do not fit ``layout``."""
    got = signature(args)
    if got == layout.signature:
        return
    treedef, specs, x64 = got
    if x64 != layout.x64:
        raise ValueError(f"this plan was built with jax_enable_x64={layout.x64} and is called "
                         f"with jax_enable_x64={x64}; build a new plan (the transforms do it "
                         f"by themselves)")
    if treedef != layout.treedef:
        raise ValueError(f"this plan was built for arguments structured as {layout.treedef}, "
                         f"but got {treedef}")
    paths = [jax.tree_util.keystr(p) for p, _ in
             jax.tree_util.tree_flatten_with_path(tuple(args))[0]]
    for path, want, have in zip(paths, layout.leaves, specs):
        if want != have:
            raise ValueError(f"this plan was built for args{path} = {want.describe()}, but "
                             f"got {have.describe()}; build a plan for the new arguments")
    raise ValueError("the arguments do not match the plan's signature")


def layout_of(args, argnums) -> ArgumentLayout:
    """Describe ``args`` (the positional arguments of one call) for differentiation."""
    nums = normalize_argnums(argnums, len(args))
    leaves, treedef = jax.tree_util.tree_flatten(tuple(args))
    first, flags = [], []
    for i, arg in enumerate(args):
        first.append(len(flags))
        flags += [i in nums] * len(jax.tree_util.tree_leaves(arg))
    owners = np.searchsorted(first, np.arange(len(flags)), side="right") - 1
    paths = [jax.tree_util.keystr(path) for path, _ in
             jax.tree_util.tree_flatten_with_path(tuple(args))[0]]
    specs = []
    for leaf, diff, owner, path in zip(leaves, flags, owners, paths):
        if diff and not (is_array_leaf(leaf) or isinstance(leaf, (int, float, complex))):
            raise _not_an_array(leaf, f"args{path}", owner)
        spec = leaf_spec(leaf, differentiated=diff)
        if diff:
            check_differentiable(spec.dtype, spec.shape, f"argument {owner}")
        specs.append(spec)
    order = tuple(first[i] + k for i in nums for k in range(len(jax.tree_util.tree_leaves(args[i]))))
    if not order:
        raise ValueError("the differentiated arguments contain no arrays")
    selected = jax.tree_util.tree_structure(
        args[nums[0]] if is_single(argnums) else tuple(args[i] for i in nums))
    return ArgumentLayout(treedef, tuple(specs), tuple(flags), order, selected,
                          bool(jax.config.jax_enable_x64))


def _not_an_array(leaf, where, owner) -> TypeError:
    """The error for a non-array leaf (a function, a string, ...) in a differentiated argument."""
    return TypeError(
        f"argument {owner} of f is in argnums, but its leaf {where} is a "
        f"{type(leaf).__name__}, not an array: like jax.grad, sparsehess differentiates with "
        f"respect to arrays only. For a module holding functions or other static fields "
        f"(equinox activations, ...), split it: params, static = "
        f"equinox.partition(model, equinox.is_array), then differentiate "
        f"lambda p: f(equinox.combine(p, static)) at params; or leave the argument out of "
        f"argnums.")


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
    """ShapeDtypeStructs of the traced leaves, for tracing."""
    return [jax.ShapeDtypeStruct(layout.leaves[i].shape, layout.leaves[i].dtype,
                                 weak_type=layout.leaves[i].weak_type) for i in layout.dynamic]


def flat_function(f, layout: ArgumentLayout):
    """``f`` as a function of the traced leaves returning the list of output leaves; after
    a call, ``.out_tree`` holds the tree structure of f's output."""
    def fun(*dynamic):
        args = jax.tree_util.tree_unflatten(layout.treedef, layout.all_leaves(dynamic))
        leaves, fun.out_tree = jax.tree_util.tree_flatten(f(*args))
        return leaves
    return fun
