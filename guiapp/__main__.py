"""`python -m guiapp` is the same as the `tenfold` command."""

import sys

from guiapp.cli import main

sys.exit(main())
