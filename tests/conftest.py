"""Test configuration: the tests run in float64 (the library itself never flips this flag)."""

import os
import sys

import jax

jax.config.update("jax_enable_x64", True)

# make `import functions` work regardless of how pytest sets up sys.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
