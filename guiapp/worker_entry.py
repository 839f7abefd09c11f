"""What a submitted worker runs on its node: one ``tenfold`` command, in the job's own process.

Outside ``guiapp.core`` because it calls the command line (:mod:`guiapp.cli`), which the core
never imports; ``tenfold run --workers`` hands it to :func:`guiapp.core.workers.submit_workers`.
"""

from __future__ import annotations


def run_worker(argv: list) -> int:
    """``tenfold ARGV`` in this process; its exit code (0 done, 2 bad input, 3 blocked…)."""
    from guiapp.cli import main

    return main([str(a) for a in argv])
