"""Command line: ``sparsehess`` / ``python -m sparsehess`` (commands ``color``, ``bench``,
``demo``; see :mod:`sparsehess.cli`)."""

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
