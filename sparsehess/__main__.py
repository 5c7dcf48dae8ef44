"""Command line: ``python -m sparsehess demo``."""

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="sparsehess", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the pipeline on a built-in 100,000-variable problem")
    demo.add_argument("-n", type=int, default=100_000, help="number of variables")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from . import demo as demo_module
        demo_module.run(args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
