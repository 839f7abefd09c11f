"""A tuning database's password never leaves: not in the bundle, the messages or the page."""

from __future__ import annotations

import pytest

from guiapp.core.export.write import write_bundle
from guiapp.core.models import tuning
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

SECRET = "s3cret-Pa55"
URL = f"postgresql://tenfold:{SECRET}@db.lab.example:5432/optuna"


@pytest.mark.parametrize(
    "url, shown",
    [
        (URL, "postgresql://tenfold:***@db.lab.example:5432/optuna"),
        (f"mysql+pymysql://:{SECRET}@db/optuna", "mysql+pymysql://:***@db/optuna"),
        (f"postgresql://u:p@{SECRET}@db/optuna", "postgresql://u:***@db/optuna"),  # an unescaped @ in the password
        (
            f"postgresql://u@db/optuna?sslmode=require&password={SECRET}",
            "postgresql://u@db/optuna?sslmode=require&password=***",
        ),
        ("postgresql://db.lab:5432/optuna", "postgresql://db.lab:5432/optuna"),
        ("sqlite:////home/me/study/tuning.sqlite3", "sqlite:////home/me/study/tuning.sqlite3"),
    ],
)
def test_redact_hides_every_form_of_password(url, shown):
    assert tuning.redact(url) == shown
    assert tuning.redact(f"could not open {url} (refused)") == f"could not open {shown} (refused)"


def test_no_bundle_file_holds_the_storage_password(tmp_path):
    from tests.core.test_export import make_study, predictions_table

    study = make_study(tmp_path / "study")
    study.tuning.storage, study.tuning.worker = URL, 2
    for r in study.baselines.results:  # as a shared search records itself
        r["search"] = {"storage": tuning.storage_text(study), "n_trials": 3, "budget": 3}
    out = tmp_path / "export"
    write_bundle(study, out, predictions=predictions_table())
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 10
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path.name
    assert "db.lab.example" in (out / "manifest.json").read_text()  # the place is recorded, not the password


def test_a_storage_that_cannot_be_opened_is_named_without_its_password():
    with pytest.raises(TenfoldError) as info:
        tuning.open_storage(f"postgresql+nodriver://tenfold:{SECRET}@127.0.0.1:1/optuna")
    assert SECRET not in str(info.value) and "tenfold:***@127.0.0.1" in str(info.value)


def test_storage_env_reads_the_url_at_run_time_and_writes_it_nowhere(tmp_path, monkeypatch):
    study = Study()
    study.save(tmp_path / "study")
    study.tuning.storage_env = "TENFOLD_TEST_STORAGE"
    monkeypatch.delenv("TENFOLD_TEST_STORAGE", raising=False)
    with pytest.raises(TenfoldError, match="environment variable TENFOLD_TEST_STORAGE is not set"):
        tuning.storage_url(study)
    url = "sqlite:///" + (tmp_path / "shared.sqlite3").as_posix()
    monkeypatch.setenv("TENFOLD_TEST_STORAGE", url)
    assert tuning.storage_url(study) == url and tuning.is_shared(study)
    assert tuning.storage_text(study) == "the database named by the environment variable TENFOLD_TEST_STORAGE"
    study.save()
    assert "shared.sqlite3" not in (tmp_path / "study" / "study.json").read_text()


def test_the_log_file_formatter_redacts_messages_and_tracebacks():
    import logging

    formatter = tuning.RedactingFormatter("%(levelname)s %(message)s")
    try:
        raise RuntimeError(f"connection to {URL} lost")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "guiapp.ui", logging.ERROR, __file__, 1, "Task %r failed: %s", ("tuning", URL), sys.exc_info()
        )
    line = formatter.format(record)
    assert SECRET not in line and line.count("tenfold:***@db.lab.example") == 2
