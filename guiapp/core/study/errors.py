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


class StudyBlocked(TenfoldError):
    """A finding stops the study before training (too few samples for any split): exit code 3.

    The message is the finding's own words, so ``inspect`` and ``run`` say the same thing.
    """

    def __init__(self, message: str, codes=()):
        super().__init__(message)
        self.codes = list(codes)


class SealedTestSetError(TenfoldError):
    """Something tried to read the sealed test set before the final evaluation."""


class Cancelled(Exception):
    """Long work stopped because the user asked it to."""


class BlockingFindings(TenfoldError):
    """A headless run stopped because findings block the study (exit code 3).

    ``findings`` are the unresolved blocking findings; the message lists each with its code
    and the spec line that accepts it. The study folder keeps every finished step, so after
    the spec is edited ``tenfold run SPEC --out DIR --resume`` goes on.
    """

    def __init__(self, message: str, findings: list, before: str = "") -> None:
        super().__init__(message)
        self.findings = list(findings)
        self.before = before


class DiskFullError(TenfoldError):
    """A write stopped because the disk is full; the message says how much to free."""
