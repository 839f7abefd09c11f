"""Where the searches live: an optuna storage, by default ``tuning.sqlite3`` in the study folder,
or a database URL that several ``tenfold run`` workers share; and the names that keep a
changed split or search space from mixing old trials into a new search (:func:`fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import warnings
from pathlib import Path

from guiapp.core.models.trials import GRACE_S, HEARTBEAT_S
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.model import Study

STORAGE_FILE = "tuning.sqlite3"


def storage_url(study: Study) -> str:
    """The study's optuna storage: the URL in the environment variable the spec names
    (``storage_env``), else the spec's URL, else ``tuning.sqlite3`` in the study folder."""
    name = getattr(study.tuning, "storage_env", "")
    if name:
        url = os.environ.get(name, "").strip()
        if not url:
            raise TenfoldError(
                f"[tuning] storage_env = {name!r}, but the environment variable {name} is not set. Set it to the "
                f"tuning database's URL before the run (for example: export {name}=postgresql://user:password@host/db), "
                "or leave storage_env out to keep the search in tuning.sqlite3 in the study folder."
            )
        return url
    if study.tuning.storage:
        return study.tuning.storage
    if study.folder is None:
        raise TenfoldError("Save the study in a folder before tuning: the search is stored there.")
    return "sqlite:///" + Path(study.path(STORAGE_FILE)).resolve().as_posix()


def is_shared(study: Study) -> bool:
    """A storage URL from the spec may be shared with other workers; the study's own file is not."""
    return bool(study.tuning.storage or getattr(study.tuning, "storage_env", ""))


# user:password@ in a URL (the password runs to the last @ before the path), and password=
# in its query string
_URL_PASSWORD = re.compile(r"(://[^\s:/@]*):[^\s/]*@")
_QUERY_PASSWORD = re.compile(r"([?&;](?:password|passwd|pwd|pass)=)[^&;\s]*", re.I)


def redact(url: str) -> str:
    """The URL (or any text holding URLs) without passwords, for the card, the report, the manifest,
    messages and the page."""
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1:***@", str(url)))


class RedactingFormatter(logging.Formatter):
    """A log formatter that leaves no database password in a log line or a logged traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def storage_text(study: Study) -> str:
    """Where the trials are stored, in words fit to show and share: never a password."""
    name = getattr(study.tuning, "storage_env", "")
    if name:
        return f"the database named by the environment variable {name}"
    return redact(study.tuning.storage) if study.tuning.storage else ""


def open_storage(url: str, *, shared: bool = False):
    """An optuna RDB storage; SQLite files get a long lock timeout (and WAL when private)."""
    # optuna: imported lazily, a heavy library
    import optuna

    kwargs: dict = {}
    if url.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    if shared:
        kwargs.update(heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
    try:
        storage = _open_rdb(optuna, url, kwargs, tries=5 if shared else 1)
    except Exception as exc:  # a bad URL, a missing driver, a database that refuses us
        detail = redact(str(exc).replace(url, redact(url)))  # drivers may quote the URL, password and all
        if isinstance(exc, ImportError):  # e.g. psycopg2 for postgresql:// URLs
            detail += "; install the database driver, for PostgreSQL with `pip install 'tenfold[cluster]'`"
        raise TenfoldError(
            f"The tuning storage {redact(url)} cannot be opened ({type(exc).__name__}: {detail}). "
            "Check [tuning] storage in the spec, or leave it empty to use tuning.sqlite3 in the "
            "study folder."
        ) from None
    if url.startswith("sqlite") and not shared:
        _fast_sqlite(storage)
    return storage


def _open_rdb(optuna, url: str, kwargs: dict, tries: int):
    """Workers that meet an empty shared database at once all create optuna's tables; all but one
    such attempt fail on a name the first just made (e.g. PostgreSQL's enum types), and succeed
    a moment later, finding the tables made."""
    # sqlalchemy: imported lazily, a heavy library
    from sqlalchemy.exc import IntegrityError, ProgrammingError  # "already exists"; not a refused login

    for attempt in range(tries):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: stable since 2.x
                return optuna.storages.RDBStorage(url, **kwargs)
        except (IntegrityError, ProgrammingError):
            if attempt == tries - 1:
                raise
            time.sleep(0.5 + attempt)


def close_storage(storage) -> None:
    """Let go of the database file (Windows cannot move or delete a study folder that holds it open)."""
    if storage is not None:
        storage.remove_session()
        storage.engine.dispose()


def _fast_sqlite(storage) -> None:
    """Write-ahead logging: a commit costs a few milliseconds, and an app crash loses nothing."""
    # sqlalchemy: imported lazily, a heavy library
    from sqlalchemy import event

    engine = storage.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections opened before the listener get the pragmas too


def split_key(study: Study) -> str:
    """The training and tune rows a search scored on: a search of another split is stale."""
    s = study.split
    return hashlib.sha256(json.dumps([s.train_idx, s.tune_idx]).encode()).hexdigest()[:12]


def fingerprint(study: Study, **extra) -> str:
    """What a search's trials depend on; a new value means a new search."""
    s = study.split
    payload = {
        "data": study.data.provenance.sha256,
        "features": study.data.feature_columns,
        "label": study.data.label,
        "task": study.question.task,
        "metric": study.primary_metric,
        "train": s.train_idx,
        "tune": s.tune_idx,
        "remedy": study.batch.remedy,
        "sampler": study.tuning.sampler,
        **extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]
