"""AnnData ``.h5ad`` files read with h5py: ``X`` as the features, ``obs`` columns as sample metadata.

The on-disk format is AnnData's documented HDF5 layout (encoding-type attributes on each
element): a dense or CSR/CSC ``X``, an ``obs`` dataframe of arrays, string arrays and
categoricals, and ``var`` names. A sparse ``X`` stays sparse in pandas (sparse columns)
unless it is dense enough that a plain matrix is smaller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from guiapp.core.data import errors as E
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

OBS_NAMES = "obs_names"
SPARSE_MAX_DENSITY = 0.3  # above this share of non-zeros a dense float32 matrix is smaller


@dataclass
class AnnDataTable:
    table: pd.DataFrame
    obs_columns: list = field(default_factory=list)
    var_names: list = field(default_factory=list)
    sparse: bool = False
    density: float = 1.0


def _h5py(path: Path):
    try:
        import h5py  # h5py: imported lazily, only for AnnData files
    except ImportError:
        raise E.UnsupportedFormatError(
            f"{path.name} is an AnnData file, and reading those needs the h5py package "
            "(pip install h5py). Or export X and obs as CSV and load that."
        ) from None
    return h5py


def _open(path: Path):
    h5py = _h5py(path)
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise E.MalformedFileError(
            f"{path.name} is not a readable AnnData (.h5ad) file: {str(exc).splitlines()[0]}. Write "
            "it again with anndata (adata.write_h5ad) or export X and obs as CSV."
        ) from None


def _attr(node, name: str, default=None):
    value = node.attrs.get(name, default)
    if isinstance(value, bytes):
        value = value.decode()
    return value


def _strings(dataset) -> np.ndarray:
    import h5py  # h5py: imported lazily, only for AnnData files

    if h5py.check_string_dtype(dataset.dtype) is not None:
        return np.asarray(dataset.asstr()[()], dtype=object)
    values = dataset[()]
    if values.dtype.kind == "S":
        return np.char.decode(values, "utf-8").astype(object)
    return values


def _column(node) -> pd.Series | np.ndarray:
    """One ``obs`` column: an array, a string array, a categorical or a nullable array."""
    import h5py  # h5py: imported lazily, only for AnnData files

    kind = _attr(node, "encoding-type", "array")
    if isinstance(node, h5py.Group):
        if kind == "categorical" or "categories" in node:
            codes = node["codes"][()]
            categories = _strings(node["categories"])
            return pd.Categorical.from_codes(
                codes.astype(np.int64), categories=pd.Index(categories), ordered=bool(_attr(node, "ordered", False))
            )
        if kind in ("nullable-integer", "nullable-boolean", "nullable-string-array") and "values" in node:
            values = _strings(node["values"]) if kind == "nullable-string-array" else node["values"][()]
            mask = node["mask"][()].astype(bool)
            out = pd.Series(values, dtype="object" if kind == "nullable-string-array" else None)
            out[mask] = None
            return out.to_numpy()
        raise ValueError(f"an obs column encoded as {kind!r}")
    return _strings(node)


def obs_columns(path: os.PathLike) -> list[str]:
    """The sample-metadata column names (for the label choice), without reading X."""
    path = Path(path)
    with _open(path) as f:
        obs = f.get("obs")
        if obs is None:
            return []
        order = _attr(obs, "column-order", [])
        return [OBS_NAMES] + [str(c.decode() if isinstance(c, bytes) else c) for c in np.atleast_1d(order)]


def read_h5ad(path: os.PathLike, *, ctx: TaskContext = NO_CONTEXT) -> AnnDataTable:
    """One row per observation: ``obs_names``, the ``obs`` columns, then one column per variable."""
    import h5py  # h5py: imported lazily, only for AnnData files

    path = Path(path)
    with _open(path) as f:
        if "X" not in f or "obs" not in f:
            raise E.MalformedFileError(
                f"{path.name} is an HDF5 file but not an AnnData file: it has no 'X' and 'obs'. "
                "Write it with anndata (adata.write_h5ad), or export the table as CSV."
            )
        obs, var = f["obs"], f.get("var")
        if not isinstance(obs, h5py.Group):
            raise E.MalformedFileError(
                f"{path.name} was written by an old version of anndata (obs is a single record "
                "array). Read it with anndata and write it again (adata.write_h5ad), then load that."
            )
        ctx.report(0.05, "Reading the sample metadata (obs)")
        meta, var_names = _obs_and_var_names(obs, var, path)
        ctx.check()
        ctx.report(0.2, "Reading X")
        X, sparse, density = _matrix(f["X"], path)
    n, p = X.shape
    if n != len(meta):
        raise E.MalformedFileError(f"{path.name}: X has {n} rows but obs has {len(meta)}; the file is inconsistent.")
    var_names = var_names if len(var_names) == p else [f"var{j}" for j in range(p)]
    taken = set(meta.columns) | {OBS_NAMES}
    names = [v if v not in taken else f"{v} (X)" for v in var_names]
    ctx.check()
    ctx.report(0.6, "Building the table")
    if sparse:
        features = pd.DataFrame.sparse.from_spmatrix(X.tocsc(), columns=names)
    else:
        features = pd.DataFrame(np.asarray(X, dtype=np.float32), columns=names, copy=False)
    index = pd.Series(meta.index.astype(str), name=OBS_NAMES)
    if index.duplicated().any():
        dup = index[index.duplicated()].iloc[0]
        raise E.DuplicateSampleIdError(
            f"{path.name}: the observation name {dup!r} appears more than once in obs. Make them unique "
            "(adata.obs_names_make_unique()) and write the file again."
        )
    meta = meta.reset_index(drop=True)
    table = pd.concat([index.to_frame(), meta, features], axis=1)
    ctx.report(1.0, "AnnData read")
    return AnnDataTable(
        table=table, obs_columns=[str(c) for c in meta.columns], var_names=var_names, sparse=sparse, density=density
    )


def _obs_and_var_names(obs, var, path: Path):
    """The sample metadata (obs) as a table and the feature names (var's index, when there is one)."""
    import h5py  # h5py: imported lazily, only for AnnData files

    try:
        meta = _dataframe(obs)
        var_names = [str(v) for v in _dataframe(var).index] if isinstance(var, h5py.Group) else []
    except (KeyError, ValueError, TypeError) as exc:
        raise E.MalformedFileError(
            f"{path.name}: its obs or var table cannot be read ({exc}). Write it again with "
            "anndata, or export obs as CSV and load it as a sample sheet."
        ) from None
    return meta, var_names


def _dataframe(group) -> pd.DataFrame:
    index_key = _attr(group, "_index", "_index")
    order = [str(c.decode() if isinstance(c, bytes) else c) for c in np.atleast_1d(_attr(group, "column-order", []))]
    index = _strings(group[index_key]) if index_key in group else None
    columns = {name: _column(group[name]) for name in order if name in group}
    frame = pd.DataFrame(columns)
    if index is not None:
        frame.index = pd.Index(np.asarray(index).astype(str))
    return frame


def _matrix(node, path: Path):
    """``X`` as a float32 array, or a scipy sparse matrix when sparse and sparse enough."""
    import h5py  # h5py: imported lazily, only for AnnData files
    import scipy.sparse as sp

    if isinstance(node, h5py.Dataset):
        if node.ndim != 2:
            raise E.MalformedFileError(f"{path.name}: X is not a matrix (it has {node.ndim} dimensions).")
        return np.asarray(node[()], dtype=np.float32), False, 1.0
    kind = _attr(node, "encoding-type") or _attr(node, "h5sparse_format", "")
    kind = {"csr": "csr_matrix", "csc": "csc_matrix"}.get(kind, kind)
    if kind not in ("csr_matrix", "csc_matrix"):
        raise E.MalformedFileError(
            f"{path.name}: X is stored as {kind or 'an unknown kind'}, which Tenfold cannot read; "
            "write it as a dense or CSR matrix."
        )
    shape = tuple(int(s) for s in (node.attrs.get("shape", node.attrs.get("h5sparse_shape"))))
    parts = (node["data"][()].astype(np.float32, copy=False), node["indices"][()], node["indptr"][()])
    matrix = (sp.csr_matrix if kind == "csr_matrix" else sp.csc_matrix)(parts, shape=shape)
    density = matrix.nnz / max(1, shape[0] * shape[1])
    if density > SPARSE_MAX_DENSITY:
        return matrix.toarray(), False, density
    return matrix, True, density


def write_h5ad(path: os.PathLike, X, obs: pd.DataFrame, var_names: list) -> None:
    """A minimal AnnData file in the documented layout (tests, demos); real files come from anndata."""
    import h5py  # h5py: imported lazily, only for AnnData files
    import scipy.sparse as sp

    str_dtype = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"], f.attrs["encoding-version"] = "anndata", "0.1.0"
        if sp.issparse(X):
            X = sp.csr_matrix(X)
            g = f.create_group("X")
            g.attrs["encoding-type"], g.attrs["encoding-version"] = "csr_matrix", "0.1.0"
            g.attrs["shape"] = np.array(X.shape)
            g["data"], g["indices"], g["indptr"] = X.data, X.indices, X.indptr
        else:
            f["X"] = np.asarray(X)
        for name, frame in (("obs", obs), ("var", pd.DataFrame(index=pd.Index(var_names, dtype=object)))):
            g = f.create_group(name)
            g.attrs["encoding-type"], g.attrs["encoding-version"] = "dataframe", "0.2.0"
            g.attrs["_index"] = "_index"
            g.attrs["column-order"] = (
                np.array([str(c) for c in frame.columns], dtype=object)
                if len(frame.columns)
                else np.array([], dtype=float)
            )
            g.create_dataset("_index", data=np.array([str(v) for v in frame.index], dtype=object), dtype=str_dtype)
            for col in frame.columns:
                values = frame[col]
                if isinstance(values.dtype, pd.CategoricalDtype):
                    c = g.create_group(str(col))
                    c.attrs["encoding-type"], c.attrs["encoding-version"] = "categorical", "0.2.0"
                    c.attrs["ordered"] = False
                    c["codes"] = values.cat.codes.to_numpy().astype(np.int8)
                    c.create_dataset(
                        "categories",
                        data=np.array([str(v) for v in values.cat.categories], dtype=object),
                        dtype=str_dtype,
                    )
                elif pd.api.types.is_numeric_dtype(values):
                    g[str(col)] = values.to_numpy()
                else:
                    g.create_dataset(str(col), data=np.array([str(v) for v in values], dtype=object), dtype=str_dtype)


def x_nbytes(path: os.PathLike) -> int:
    """Bytes of ``X`` as a dense float32 matrix, read from the file's header only (0 when not AnnData)."""
    import h5py  # h5py: imported lazily, only for AnnData files

    try:
        with _open(Path(path)) as f:
            node = f.get("X")
            if isinstance(node, h5py.Dataset) and node.ndim == 2:
                return 4 * int(node.shape[0]) * int(node.shape[1])
            if isinstance(node, h5py.Group):
                shape = node.attrs.get("shape", node.attrs.get("h5sparse_shape"))
                if shape is not None and len(shape) == 2:
                    return 4 * int(shape[0]) * int(shape[1])
    except E.DataError:
        return 0
    return 0


class BackedX:
    """A row source (:mod:`guiapp.core.data.streaming`) over an AnnData file's ``X``, read in rows with h5py.

    The file is opened backed, read-only: a dense ``X`` is read by row ranges, a CSR ``X`` by
    its row pointers (only the rows asked for leave the disk). A CSC ``X`` is refused: its rows
    are spread over the whole file; write it as CSR (``adata.X = adata.X.tocsr()``).
    """

    def __init__(self, path: os.PathLike | str) -> None:
        import h5py  # h5py: imported lazily, only for AnnData files

        self.path = Path(path)
        self._f = None
        self._pid = -1
        f = self._file()
        node = f["X"]
        if isinstance(node, h5py.Dataset):
            self.kind, self.shape = "dense", tuple(int(s) for s in node.shape)
        else:
            kind = _attr(node, "encoding-type") or _attr(node, "h5sparse_format", "")
            kind = {"csr": "csr_matrix", "csc": "csc_matrix"}.get(kind, kind)
            if kind != "csr_matrix":
                raise E.MalformedFileError(
                    f"{self.path.name}: X is stored as {kind or 'an unknown kind'}, which Tenfold cannot read in "
                    "rows. Write it as CSR (adata.X = adata.X.tocsr(); adata.write_h5ad(...)) or as a dense matrix."
                )
            self.kind = "csr"
            self.shape = tuple(int(s) for s in node.attrs.get("shape", node.attrs.get("h5sparse_shape")))
            self._indptr = node["indptr"][()]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_f"], state["_pid"] = None, -1
        return state

    def _file(self):
        if self._f is None or self._pid != os.getpid():
            self._f, self._pid = _open(self.path), os.getpid()
        return self._f

    def close(self) -> None:
        if self._f is not None and self._pid == os.getpid():
            self._f.close()
        self._f = None

    def read(self, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.zeros((len(rows), self.shape[1]), dtype=np.float32)
        if not len(rows):
            return out
        node = self._file()["X"]
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        k = 0
        while k < len(ordered):  # runs of consecutive rows are one read
            j = k + 1
            while j < len(ordered) and ordered[j] == ordered[j - 1] + 1:
                j += 1
            a, b = int(ordered[k]), int(ordered[j - 1]) + 1
            if self.kind == "dense":
                block = np.asarray(node[a:b], dtype=np.float32)
            else:
                lo, hi = int(self._indptr[a]), int(self._indptr[b])
                data = np.asarray(node["data"][lo:hi], dtype=np.float32)
                cols = node["indices"][lo:hi]
                block = np.zeros((b - a, self.shape[1]), dtype=np.float32)
                starts = self._indptr[a : b + 1] - lo
                which = np.repeat(np.arange(b - a), np.diff(starts))
                block[which, cols] = data
            out[order[k:j]] = block
            k = j
        return out


def read_h5ad_backed(path: os.PathLike, *, ctx: TaskContext = NO_CONTEXT) -> tuple[AnnDataTable, BackedX]:
    """``obs`` as the table (``obs_names`` first), and ``X`` left on disk as a :class:`BackedX`.

    The features' names are ``AnnDataTable.var_names`` (renamed as :func:`read_h5ad` does when
    one equals an obs column).
    """
    path = Path(path)
    X = BackedX(path)
    f = X._file()
    obs, var = f["obs"], f.get("var")
    ctx.report(0.1, "Reading the sample metadata (obs)")
    meta, var_names = _obs_and_var_names(obs, var, path)
    ctx.check()
    n, p = X.shape
    if n != len(meta):
        raise E.MalformedFileError(f"{path.name}: X has {n} rows but obs has {len(meta)}; the file is inconsistent.")
    var_names = var_names if len(var_names) == p else [f"var{j}" for j in range(p)]
    taken = set(meta.columns) | {OBS_NAMES}
    names = [v if v not in taken else f"{v} (X)" for v in var_names]
    index = pd.Series(meta.index.astype(str), name=OBS_NAMES)
    if index.duplicated().any():
        dup = index[index.duplicated()].iloc[0]
        raise E.DuplicateSampleIdError(
            f"{path.name}: the observation name {dup!r} appears more than once in obs. Make them unique "
            "(adata.obs_names_make_unique()) and write the file again."
        )
    table = pd.concat([index.to_frame(), meta.reset_index(drop=True)], axis=1)
    ctx.report(1.0, "AnnData opened backed")
    return AnnDataTable(
        table=table, obs_columns=[str(c) for c in meta.columns], var_names=names, sparse=X.kind == "csr"
    ), X
