"""Warnings and errors that sparsehess raises, in one place for users to import."""


class SparsityWarning(UserWarning):
    """Detection fell back to a conservative (denser) rule; the pattern is valid but may be loose."""


class UnsupportedPrimitiveError(NotImplementedError):
    """Raised in ``strict=True`` detection for a primitive that has no exact rule."""
