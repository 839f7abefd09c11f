"""The exit codes of Tenfold's commands, and the findings no reason can accept."""

EXIT_BUG = 1
EXIT_BAD_INPUT = 2
EXIT_BLOCKED = 3  # a finding blocks the study; the report is still printed
EXIT_CANCELLED = 130
# Findings that stop a study whatever reason is given: no accept line can make 7 samples enough.
UNACCEPTABLE_CODES = ("too-few-samples",)
EXIT_CODES = (
    "Exit codes: 0 done; 2 bad input (a message says what to fix); 3 a finding blocks the study "
    '(the report is still printed; a spec\'s [findings] accept = { code = "reason" } accepts it); '
    "1 a bug in Tenfold (a crash log is written)."
)
