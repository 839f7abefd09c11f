"""The named problems a data file can have: each says which file, row or column, and what to do.

Every class is a :class:`~guiapp.core.study.errors.DataError` (so the GUI shows it on the page and
the CLI exits with code 2) with a stable ``code`` that tests and scripts can ask for.
"""

from __future__ import annotations

from guiapp.core.study.errors import DataError


class FileMissingError(DataError):
    code = "file-missing"


class FolderNotTableError(DataError):
    code = "folder-not-table"


class UnsupportedFormatError(DataError):
    code = "unsupported-format"


class EmptyFileError(DataError):
    code = "empty-file"


class BinaryFileError(DataError):
    code = "binary-file"


class UnknownEncodingError(DataError):
    code = "unknown-encoding"


class RaggedRowsError(DataError):
    code = "ragged-rows"


class MalformedFileError(DataError):
    """A file of a known format that its reader cannot open (a broken workbook, a bad quote)."""

    code = "malformed-file"


class SingleColumnError(DataError):
    code = "single-column"


class TooFewRowsError(DataError):
    code = "too-few-rows"


class DuplicateColumnError(DataError):
    code = "duplicate-column"


class NoNumericFeatureError(DataError):
    code = "no-numeric-feature"


class ColumnMissingError(DataError):
    """A column the user named (label, batch, group, sample ID) is not in the table."""

    code = "column-missing"


class LabelMissingError(ColumnMissingError):
    code = "label-column-missing"


class SingleClassError(DataError):
    code = "single-class"


class SingletonClassError(DataError):
    code = "class-with-one-sample"


class LabelKindError(DataError):
    """The label does not fit the task: a continuous label for a classifier, text for regression."""

    code = "label-does-not-fit-task"


class NonFiniteValueError(DataError):
    code = "non-finite-values"


class DuplicateSampleIdError(DataError):
    code = "duplicate-sample-ids"


class SampleSheetMismatchError(DataError):
    code = "sample-sheet-no-match"


class UnreadableImageError(DataError):
    code = "unreadable-image"


class NoImagesError(DataError):
    code = "no-images"


class MalformedFastaError(DataError):
    code = "malformed-fasta"


class ForeignCharacterError(DataError):
    code = "sequence-foreign-characters"


class FileChangedError(DataError):
    code = "file-changed"


ALL = (
    FileMissingError,
    FolderNotTableError,
    UnsupportedFormatError,
    EmptyFileError,
    BinaryFileError,
    UnknownEncodingError,
    RaggedRowsError,
    MalformedFileError,
    SingleColumnError,
    TooFewRowsError,
    DuplicateColumnError,
    NoNumericFeatureError,
    ColumnMissingError,
    LabelMissingError,
    SingleClassError,
    SingletonClassError,
    LabelKindError,
    NonFiniteValueError,
    DuplicateSampleIdError,
    SampleSheetMismatchError,
    UnreadableImageError,
    NoImagesError,
    MalformedFastaError,
    ForeignCharacterError,
    FileChangedError,
)


def error_code(exc: BaseException) -> str:
    """The stable code of a data error ("data-error" for a plain :class:`DataError`)."""
    return getattr(exc, "code", "data-error")
