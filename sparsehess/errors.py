"""Every warning and error class sparsehess defines, in one place for users to import."""


class SparsityWarning(UserWarning):
    """Detection fell back to a conservative (denser) rule; the pattern is valid but may be loose."""


class UnsupportedPrimitiveError(NotImplementedError):
    """Raised in ``strict=True`` detection for a primitive that has no exact rule."""


class DenseHessianError(MemoryError):
    """A scipy method needs dense n x n matrices larger than ``max_dense_bytes``
    (raised by :mod:`sparsehess.scipy`, importable from there too)."""


class UsageError(Exception):
    """A bad command-line value found after parsing (reported like an argparse error)."""


class InvalidColoringError(ValueError):
    """A coloring fails its independent validity check (the message names the first conflict)."""


class InternalError(RuntimeError):
    """An internal invariant of sparsehess failed: a bug, never a user error. Please report it
    with the code that triggered it."""
