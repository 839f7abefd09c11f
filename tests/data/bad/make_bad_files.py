"""Write the corpus of malformed data files and ``cases.json``, what each must say.

Run from the repository root: ``.venv/bin/python tests/data/bad/make_bad_files.py``. The files
are small and committed; ``tests/core/test_bad_files.py`` loads each one and checks that it
fails with its own named error (or, for a class with one sample, its error-severity
finding), and that the message names the file, row or column and says what to do.
"""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES: list = []


def case(name: str, path: str, kind: str, error: str, message: str, names: tuple = (), **kwargs) -> None:
    CASES.append(
        {
            "name": name,
            "path": path,
            "kind": kind,
            "error": error,
            "message": message,
            "names": list(names or (Path(path).name,)),
            "kwargs": kwargs,
        }
    )


def text(path: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / path).parent.mkdir(parents=True, exist_ok=True)
    (HERE / path).write_bytes(content.encode(encoding))


def raw(path: str, content: bytes) -> None:
    (HERE / path).parent.mkdir(parents=True, exist_ok=True)
    (HERE / path).write_bytes(content)


def good_rows(n: int = 30, label: str = "condition") -> str:
    rows = [f"sample_id,g1,g2,g3,{label}"]
    rows += [
        f"S{i:03d},{(i * 37 % 11) / 3:.3f},{(i * 13 % 7) / 2:.3f},{(i * 5 % 9) / 4:.3f},{'ab'[i % 2]}" for i in range(n)
    ]
    return "\n".join(rows) + "\n"


def png(width: int = 4, height: int = 4, value: int = 128) -> bytes:
    """A tiny grey PNG, written by hand so the generator needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    rows = b"".join(b"\x00" + bytes([value]) * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def main() -> None:
    for old in HERE.iterdir():
        if old.name not in ("make_bad_files.py", "__pycache__"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()

    # ----- files that are not readable tables ------------------------------------------------
    text("empty.csv", "")
    case("empty file", "empty.csv", "read", "EmptyFileError", "is empty")
    text("blank_lines.tsv", "\n \n\t\n")
    case("only blank lines", "blank_lines.tsv", "read", "EmptyFileError", "is empty")
    text("only_comments.csv", "# exported by the plate reader\n# no data today\n")
    case("only comment lines", "only_comments.csv", "read", "EmptyFileError", "only comment lines")
    raw("binary.csv", bytes(range(256)) * 8)
    case("binary bytes", "binary.csv", "read", "BinaryFileError", "binary bytes")
    raw("workbook_named_csv.csv", b"PK\x03\x04" + bytes(200))
    case("a zip (xlsx) named .csv", "workbook_named_csv.csv", "read", "BinaryFileError", "zip archive")
    raw("report.tsv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    case("a PDF named .tsv", "report.tsv", "read", "BinaryFileError", "PDF document")
    raw("unknown_encoding.csv", b"g1,g2,label\n1,2,\x81\x8d\x90\n" * 12)
    case(
        "bytes of no common encoding", "unknown_encoding.csv", "read", "UnknownEncodingError", "fit no common encoding"
    )
    text("shift_jis.csv", "遺伝子,値,ラベル\n" + "".join(f"{i},{i * 2},陽性、陰性\n" for i in range(12)), "shift_jis")
    case("Shift-JIS text", "shift_jis.csv", "read", "UnknownEncodingError", "save it again as CSV \\(UTF-8\\)")
    rows = ["a,b,c"] + [f"{i},{i * 2},x" for i in range(12)]
    rows[5] = "1,2,3,4,5"
    text("ragged_rows.csv", "\n".join(rows) + "\n")
    case(
        "a row with too many fields",
        "ragged_rows.csv",
        "read",
        "RaggedRowsError",
        "line 6 has 5 fields",
        names=("ragged_rows.csv", "line 6"),
    )
    rows = ["a\tb\tc"] + [f"{i}\t{i * 2}\tx" for i in range(12)]
    rows[9] = "8\t16"
    text("ragged_short_row.tsv", "\n".join(rows) + "\n")
    case(
        "a row with too few fields",
        "ragged_short_row.tsv",
        "read",
        "RaggedRowsError",
        "line 10 has 2 fields",
        names=("ragged_short_row.tsv", "line 10"),
    )
    text("single_column.csv", "value\n" + "".join(f"{i}\n" for i in range(20)))
    case("a single column", "single_column.csv", "read", "SingleColumnError", "single column.*separator")
    text("header_only.csv", "g1,g2,condition\n")
    case("a header and no rows", "header_only.csv", "read", "TooFewRowsError", "only 0 rows")
    text("five_rows.csv", "g1,condition\n" + "".join(f"{i},a\n" for i in range(5)))
    case("too few rows", "five_rows.csv", "read", "TooFewRowsError", "only 5 rows.*at least 10")
    text("duplicate_columns.csv", "g1,g2,g1,label\n" + "".join(f"{i},{i},{i},a\n" for i in range(12)))
    case(
        "two columns with one name",
        "duplicate_columns.csv",
        "read",
        "DuplicateColumnError",
        "two columns named 'g1' \\(columns 1 and 3\\)",
    )
    raw("old_workbook.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    case("an old .xls workbook", "old_workbook.xls", "read", "UnsupportedFormatError", "save it as .xlsx")
    text("measurements.dat", good_rows())
    case("an unknown extension", "measurements.dat", "read", "UnsupportedFormatError", "'.dat' is not one of them")
    raw("broken.xlsx", b"PK\x03\x04" + bytes(300))
    case("a broken workbook", "broken.xlsx", "read", "MalformedFileError", "not a readable Excel .xlsx workbook")
    raw("broken.parquet", b"PAR1" + bytes(64) + b"PAR1")
    case("a broken Parquet file", "broken.parquet", "read", "MalformedFileError", "not a readable Parquet file")
    raw("garbage.h5ad", b"this is not HDF5 at all\n" * 10)
    case("an .h5ad that is not HDF5", "garbage.h5ad", "read", "MalformedFileError", "not a readable AnnData")

    # ----- readable tables that cannot be used as they are ------------------------------------
    text("all_text.csv", "name,colour,condition\n" + "".join(f"n{i},red,{'ab'[i % 2]}\n" for i in range(20)))
    case(
        "no numeric feature",
        "all_text.csv",
        "attach",
        "NoNumericFeatureError",
        "no numeric feature columns",
        label="condition",
    )
    text("no_such_label.csv", good_rows())
    case(
        "the label column is missing",
        "no_such_label.csv",
        "attach",
        "LabelMissingError",
        "no column named 'diagnosis'.*Its columns are",
        names=("no_such_label.csv", "diagnosis"),
        label="diagnosis",
    )
    text("label_case.csv", good_rows())
    case(
        "the label column in another case",
        "label_case.csv",
        "attach",
        "LabelMissingError",
        "Did you mean 'condition'",
        label="Condition",
    )
    text("single_class.csv", good_rows().replace(",b\n", ",a\n"))
    case(
        "a single class",
        "single_class.csv",
        "attach",
        "SingleClassError",
        "single value \\('a'\\)",
        names=("single_class.csv", "condition"),
        label="condition",
    )
    text("empty_label.csv", "g1,g2,condition\n" + "".join(f"{i},{i * 2}.5,\n" for i in range(15)))
    case(
        "an empty label column", "empty_label.csv", "attach", "SingleClassError", "no values at all", label="condition"
    )
    lines = good_rows().splitlines()
    lines[17] = lines[17][: lines[17].rfind(",")] + ",rare"
    text("one_sample_class.csv", "\n".join(lines) + "\n")
    case(
        "a class with one sample",
        "one_sample_class.csv",
        "finding",
        "class-with-one-sample",
        "Class 'rare'.*single sample \\(row 17",
        names=("one_sample_class.csv", "rare"),
        label="condition",
    )
    case(
        "a class with one sample (strict)",
        "one_sample_class.csv",
        "strict",
        "SingletonClassError",
        "single sample \\(row 17",
        label="condition",
    )
    lines = good_rows().splitlines()
    parts = lines[8].split(",")
    lines[8] = ",".join(parts[:2] + ["inf"] + parts[3:])
    text("infinite_value.csv", "\n".join(lines) + "\n")
    case(
        "an infinite value",
        "infinite_value.csv",
        "attach",
        "NonFiniteValueError",
        "feature 'g2' holds an infinite value.*row 8",
        names=("infinite_value.csv", "g2"),
        label="condition",
    )
    lines = good_rows().splitlines()
    lines[20] = lines[20].replace("S019", "S004")
    text("duplicate_sample_ids.csv", "\n".join(lines) + "\n")
    case(
        "duplicate sample IDs",
        "duplicate_sample_ids.csv",
        "attach",
        "DuplicateSampleIdError",
        "sample ID 'S004'.*rows 5, 20",
        names=("duplicate_sample_ids.csv", "sample_id"),
        label="condition",
    )
    rows = ["g1,g2,score"] + [f"{i % 7},{i % 5}.5,{i * 1.37:.3f}" for i in range(300)]
    text("continuous_label.csv", "\n".join(rows) + "\n")
    case(
        "a continuous label for a classifier",
        "continuous_label.csv",
        "attach",
        "LabelKindError",
        "looks continuous.*regression",
        label="score",
    )
    text("text_label_regression.csv", good_rows())
    case(
        "a text label for regression",
        "text_label_regression.csv",
        "attach",
        "LabelKindError",
        "holds text",
        label="condition",
        task="regression",
    )
    text("no_batch_column.csv", good_rows())
    case(
        "a batch column that is not there",
        "no_batch_column.csv",
        "attach",
        "ColumnMissingError",
        "no batch column named 'plate'",
        label="condition",
        batch="plate",
    )

    # ----- sample sheets and turned tables -------------------------------------------------------
    genes = ["TP53", "BRCA1", "MYC", "EGFR", "KRAS", "PTEN", "TP53"]
    samples = [f"GSM{100 + i}" for i in range(12)]
    text(
        "genes_by_samples_dup.csv",
        "gene,"
        + ",".join(samples)
        + "\n"
        + "".join(f"{g}," + ",".join(f"{(i * 7 + j) % 10}.{j}" for j in range(12)) + "\n" for i, g in enumerate(genes)),
    )
    case(
        "a turned table naming a gene twice",
        "genes_by_samples_dup.csv",
        "attach",
        "DuplicateColumnError",
        "feature 'TP53' appears twice.*line 8",
        label="condition",
        transposed=True,
    )
    text("sheet_data.csv", good_rows())
    text("sheet_no_match.csv", "sample,condition\n" + "".join(f"X-{i},{'ab'[i % 2]}\n" for i in range(30)))
    case(
        "a sample sheet that matches no sample",
        "sheet_data.csv",
        "attach",
        "SampleSheetMismatchError",
        "No sample ID of sheet_no_match.csv matches",
        names=("sheet_no_match.csv", "sheet_data.csv"),
        label="condition",
        samples="sheet_no_match.csv",
    )
    text(
        "sheet_duplicate_ids.csv",
        "sample_id,treatment\n" + "".join(f"S{i:03d},{'xy'[i % 2]}\n" for i in range(30)) + "S007,x\n",
    )
    case(
        "a sample sheet listing a sample twice",
        "sheet_data.csv",
        "attach",
        "DuplicateSampleIdError",
        "lists sample 'S007' more than once \\(lines 9, 32\\)",
        names=("sheet_duplicate_ids.csv",),
        label="treatment",
        samples="sheet_duplicate_ids.csv",
    )

    # ----- sequences -----------------------------------------------------------------------------
    dna = ["ACGTTGCAAGGCTTACGATCGGATCCATGCAAGT", "TTGACCGTAGCTAGCTAGGCTTAACGGTACCATG"]
    text("no_header.fa", "ACGTACGT\n>seq1\nACGT\n")
    case(
        "FASTA without a header first",
        "no_header.fa",
        "attach",
        "MalformedFastaError",
        "line 1, does not start a record",
        label="label",
    )
    records = "".join(f">seq{i} label={'ab'[i % 2]}\n{dna[i % 2]}\n" for i in range(20))
    text("foreign_characters.fa", records + ">seq20 label=a\nACGTTGCAAGG1TTACGATCG\n")
    case(
        "FASTA with a digit in a DNA record",
        "foreign_characters.fa",
        "attach",
        "ForeignCharacterError",
        "record 'seq20' \\(header on line 41\\) has '1' at position 12",
        names=("foreign_characters.fa", "seq20"),
        label="label",
    )
    text("foreign_letter.fa", records + ">seq20 label=b\nACGTJJGCAAGGCTTACG\n")
    case(
        "FASTA with a letter outside DNA",
        "foreign_letter.fa",
        "attach",
        "ForeignCharacterError",
        "has 'J' at position 5, which is not DNA",
        label="label",
    )
    text("duplicate_ids.fa", records + ">seq3 label=a\nACGT\n")
    case(
        "FASTA naming a record twice",
        "duplicate_ids.fa",
        "attach",
        "DuplicateSampleIdError",
        "record name 'seq3' appears twice \\(lines 7 and 41\\)",
        label="label",
    )
    text("empty_record.fa", records + ">seq20 label=a\n\n>seq21 label=b\nACGT\n")
    case(
        "FASTA with an empty record",
        "empty_record.fa",
        "attach",
        "MalformedFastaError",
        "record 'seq20' \\(line 41\\) has no sequence",
        label="label",
    )

    # ----- images --------------------------------------------------------------------------------
    for cls in ("healthy", "tumour"):
        for i in range(6):
            raw(f"images_unreadable/{cls}/{cls}_{i}.png", png(value=40 * i))
    raw("images_unreadable/tumour/scan_7.png", b"\x89PNG\r\n\x1a\nnot really a PNG")
    case(
        "an unreadable image",
        "images_unreadable",
        "attach",
        "UnreadableImageError",
        "tumour/scan_7.png in images_unreadable could not be read as an image",
        names=("scan_7.png",),
        label="class",
    )
    text("images_none/readme.txt", "the scans are on the other disk\n")
    case(
        "a folder without images",
        "images_none",
        "attach",
        "NoImagesError",
        "holds no PNG, JPEG or TIFF images",
        label="class",
    )

    (HERE / "cases.json").write_text(json.dumps(CASES, indent=1) + "\n", encoding="utf-8")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
