"""Exports are all-or-nothing: a failed export (a full disk) leaves the previous bundle byte for
byte, or no bundle; never a card that disagrees with its manifest (issue 15, item 6). A stop
asked for during an export (Cancel) is honoured between two files, with the same guarantee."""

from __future__ import annotations

import errno
import hashlib
import json
import os

import pytest
from test_export import make_study, predictions_table

from guiapp.core.export import write as export
from guiapp.core.export.open_bundle import verify_bundle
from guiapp.core.export.write import write_bundle
from guiapp.core.study.errors import Cancelled, DiskFullError
from guiapp.core.study.task_context import TaskContext


def snapshot(folder) -> dict:
    """Every file under ``folder`` (hidden ones too) -> its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def json_hash(folder) -> str:
    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def study(tmp_path):
    return make_study(tmp_path / "study")


def _fail_at(monkeypatch, where: str):
    """Make one write of the export hit a full disk."""
    if where == "weights":
        monkeypatch.setattr(export.shutil, "copyfile", full_disk)
    elif where == "report":
        monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    elif where == "manifest":
        real = export.write_json_atomic

        def json_writer(path, obj):
            if path.name == "manifest.json":
                full_disk()
            real(path, obj)

        monkeypatch.setattr(export, "write_json_atomic", json_writer)
    elif where == "card":
        real_write = type(export.Path()).write_text

        def write_text(self, *args, **kwargs):
            if self.name == "model_card.md":
                full_disk()
            return real_write(self, *args, **kwargs)

        monkeypatch.setattr(type(export.Path()), "write_text", write_text)


@pytest.mark.parametrize("where", ["card", "weights", "report", "manifest"])
def test_a_full_disk_leaves_the_previous_bundle_byte_identical(study, tmp_path, monkeypatch, where):
    out = tmp_path / "export"
    write_bundle(study, out, predictions=predictions_table())
    before = snapshot(out)
    study.question.title = "A second export whose card differs"
    _fail_at(monkeypatch, where)
    with pytest.raises(DiskFullError, match=r"The disk is full: free \d+ MB") as caught:
        write_bundle(study, out, predictions=predictions_table())
    assert "The previous bundle there is unchanged" in str(caught.value)
    assert study.export.manifest_sha256 == json_hash(out)  # the study still records the bundle in place
    monkeypatch.undo()
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "study"]  # no staging folder left behind
    verify_bundle(out)  # and it still checks out against its own manifest


def test_a_full_disk_on_the_first_export_leaves_no_bundle(study, tmp_path, monkeypatch):
    monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    with pytest.raises(DiskFullError, match="No bundle was written"):
        write_bundle(study, tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_the_size_to_free_is_estimated_from_the_bundle(study, tmp_path, monkeypatch):
    import numpy as np
    from safetensors.numpy import save_file

    save_file({"w": np.zeros((3 << 20) // 4, dtype=np.float32)}, str(study.path(study.train.weights)))  # 3 MB
    monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    with pytest.raises(DiskFullError) as caught:
        write_bundle(study, tmp_path / "export")
    mb = int(str(caught.value).split("free ")[1].split(" MB")[0])
    assert 4 <= mb <= 10


def test_re_export_replaces_the_bundle_whole_and_its_card_matches_its_manifest(study, tmp_path):
    out = tmp_path / "export"
    first = write_bundle(study, out, predictions=predictions_table())
    (out / "notes.txt").write_text("the user's own file")  # not Tenfold's: kept
    study.question.title = "Renamed study"
    second = write_bundle(study, out)
    assert "Renamed study" in (out / "model_card.md").read_text()
    assert not (out / "predictions.csv").exists()  # not written this time: gone
    assert (out / "notes.txt").read_text() == "the user's own file"
    manifest = json.loads((out / "manifest.json").read_text())
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"], f["path"]
    assert second.manifest_sha256 != first.manifest_sha256
    assert (out / "manifest.sha256").read_text() == f"{second.manifest_sha256}  manifest.json\n"
    assert hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest() == second.manifest_sha256
    assert study.export.manifest_sha256 == second.manifest_sha256
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_export_beside_a_study_folder_keeps_it(study, tmp_path):
    """`tenfold run --out DIR` keeps its study in DIR/study: swapping the bundle never touches it."""
    out = tmp_path / "run"
    (out / "study").mkdir(parents=True)
    (out / "study" / "study.json").write_text("{}")
    write_bundle(study, out)
    write_bundle(study, out)
    assert (out / "study" / "study.json").read_text() == "{}"
    verify_bundle(out)


def test_a_crash_between_the_two_renames_is_recovered_on_the_next_export(study, tmp_path, monkeypatch):
    """Killed after the old bundle was renamed aside: the next export finds it and puts it back
    first, so the old bundle survives until the new one replaces it."""
    from guiapp.core.export import atomic_bundle

    out = tmp_path / "export"
    write_bundle(study, out)
    before = snapshot(out)
    aside = tmp_path / ".export.tenfold-old-dead0000"
    os.rename(out, aside)
    (tmp_path / ".export.tenfold-new-dead0000").mkdir()  # the unfinished new one
    atomic_bundle.recover(out)
    assert snapshot(out) == before and not aside.exists()
    assert not (tmp_path / ".export.tenfold-new-dead0000").exists()


def test_withholding_on_re_export_removes_the_old_weights_even_when_the_export_fails(study, tmp_path, monkeypatch):
    out = tmp_path / "export"
    write_bundle(study, out)
    assert (out / "model" / "model.safetensors").is_file()
    study.ethics.share_weights = "never"
    monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    with pytest.raises(DiskFullError):
        write_bundle(study, out)
    assert not (out / "model" / "model.safetensors").exists()
    assert not (out / "manifest.json").exists()  # what is left is no bundle anyone can apply


def test_the_cli_says_the_disk_is_full_with_exit_2(study, tmp_path, monkeypatch, capsys):
    from guiapp import cli
    from guiapp.core import pipeline

    spec = tmp_path / "spec.toml"
    spec.write_text('[data]\npath = "data.csv"\nlabel = "y"\n')

    def run_and_export(spec, out_dir, **kwargs):
        return write_bundle(study, out_dir)

    monkeypatch.setattr(pipeline, "run_study", run_and_export)
    monkeypatch.setattr("guiapp.core.export.report.write_report", full_disk)
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "The disk is full: free" in err and "Traceback" not in err
    monkeypatch.setattr(pipeline, "run_study", full_disk)  # a full disk anywhere else: exit 2 too
    assert cli.main(["run", str(spec), "--out", str(tmp_path / "out2")]) == 2
    assert "the disk is full" in capsys.readouterr().err


def stop_after(reports: int) -> tuple[TaskContext, list]:
    """A context whose stop is asked for once the export has reported ``reports`` times."""
    said: list = []
    return TaskContext(
        progress=lambda fraction, message: said.append(message), should_stop=lambda: len(said) >= reports
    ), said


@pytest.mark.parametrize("reports", [1, 3, 5])
def test_a_stop_during_export_leaves_the_previous_bundle_byte_identical(study, tmp_path, reports):
    out = tmp_path / "export"
    write_bundle(study, out, predictions=predictions_table())
    before, recorded = snapshot(out), study.export.manifest_sha256
    study.question.title = "A second export, stopped halfway"
    ctx, said = stop_after(reports)
    with pytest.raises(Cancelled):
        write_bundle(study, out, predictions=predictions_table(), ctx=ctx)
    assert len(said) == reports  # it stopped at the next file, not at the end
    assert snapshot(out) == before
    assert study.export.manifest_sha256 == recorded == json_hash(out)  # the stopped export is not recorded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "study"]  # no staging folder left behind
    verify_bundle(out)


def test_a_stop_during_the_first_export_leaves_no_bundle(study, tmp_path):
    ctx, _said = stop_after(2)
    with pytest.raises(Cancelled):
        write_bundle(study, tmp_path / "export", ctx=ctx)
    assert not (tmp_path / "export").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
