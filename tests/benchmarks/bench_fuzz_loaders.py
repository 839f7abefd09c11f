"""The long run of the loader fuzz test: many fresh random files, only Tenfold's own errors allowed.

Run: .venv/bin/python tests/benchmarks/bench_fuzz_loaders.py [--examples 2000]

The default test run keeps ``tests/core/test_fuzz_loaders.py`` to 25 derandomized examples
per test; this sets ``TENFOLD_FUZZ_EXAMPLES`` and runs the same tests with random examples,
then prints one JSON line: examples per test, seconds and the pytest exit code (0: none failed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=2000, help="examples per fuzz test")
    args = parser.parse_args()
    os.environ["TENFOLD_FUZZ_EXAMPLES"] = str(args.examples)
    import pytest

    test = Path(__file__).resolve().parents[1] / "core" / "test_fuzz_loaders.py"
    t0 = time.perf_counter()
    code = int(pytest.main(["-q", "-p", "no:cacheprovider", str(test)]))
    print(
        json.dumps(
            {
                "examples_per_test": args.examples,
                "seconds": round(time.perf_counter() - t0, 1),
                "pytest_exit_code": code,
            }
        )
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
