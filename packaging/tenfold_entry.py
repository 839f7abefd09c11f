"""The frozen program's entry point: the same commands as the `tenfold` console script."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Child processes of a frozen program re-run this file; this turns them into workers.
    multiprocessing.freeze_support()
    from guiapp.cli import main

    sys.exit(main())
