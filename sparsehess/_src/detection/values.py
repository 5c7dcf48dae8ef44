"""The values of a detection walk: one ``Value`` per array (shape, pattern, known value,
local point, integer range), and helpers shared by the walk and the rules that walk nested
jaxprs."""

from .. import dtypes
from .index_maps import size_of
from .structure import EqnStructure, Interaction, LocalMap


class Value:
    """One array in the walk: shape, whether it is differentiable, pattern, and values.

    ``known``: the value when it is the same for every input (a constant), else None
    (numpy, or a JAX array for PRNG keys).
    ``point``: in local mode, the value at the given input point, else None.
    ``origin``: for a value unknown only because non-differentiated arguments are, the
    labels of those arguments (a tuple of str), else None.
    ``range``: for an unknown integer or bool value, its possible values
    (``value_ranges.Range``), else None.
    """

    __slots__ = ("shape", "size", "dtype", "inexact", "pattern", "known", "point", "origin",
                 "range")

    def __init__(self, shape, dtype, pattern, known=None, point=None, origin=None):
        self.shape = tuple(shape)
        self.size = size_of(shape)
        self.dtype = dtypes.canonical(dtype)
        self.inexact = dtypes.is_inexact(self.dtype)         # bfloat16 too
        self.pattern = pattern
        self.known = known
        self.point = point
        self.origin = origin
        self.range = None

    @property
    def value(self):
        """The value at the point of detection: the constant, else the local point value,
        else None."""
        return self.known if self.known is not None else self.point


_SMALL = 4096


def value_key(value):
    """Cache key part for an operand value: its bytes when small, its identity otherwise."""
    if value is None:
        return None
    if value.size <= _SMALL:
        data = dtypes.host_data(value)
        return (str(value.dtype), value.shape, data.tobytes())
    return id(value)


def opaque_structure(ins, out_sizes):
    """Conservative structure for a region whose forward patterns were computed directly:
    every output may depend on every input, with curvature among each output's inputs."""
    maps = [(o, p, LocalMap(size, v.size, dense=True))
            for o, size in enumerate(out_sizes) for p, v in enumerate(ins)]
    return EqnStructure(maps=maps, interactions=[Interaction(o) for o in range(len(out_sizes))])
