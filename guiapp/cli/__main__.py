"""``python -m guiapp.cli``: the same as the ``tenfold`` command."""

import sys

from guiapp.cli import main

sys.exit(main())
