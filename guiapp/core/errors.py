"""Errors meant for the user: one paragraph, what went wrong and what to do."""


class TenfoldError(Exception):
    """A problem the user can fix (a bad file, a missing column, a wrong setting).

    The GUI shows the message on the page and the CLI prints it with exit code 2; neither
    shows a traceback.
    """


class DataError(TenfoldError):
    """The data file cannot be used as it is."""


class SpecError(TenfoldError):
    """The study spec (TOML) has a missing or wrong key."""


class SealedTestSetError(TenfoldError):
    """Something tried to read the sealed test set before the final evaluation."""


class Cancelled(Exception):
    """Long work stopped because the user asked it to."""


class DiskFullError(TenfoldError):
    """A write stopped because the disk is full; the message says how much to free."""
