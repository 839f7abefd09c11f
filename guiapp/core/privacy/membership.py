"""The membership-inference audit (Tip 10): can someone with the model tell who was in its training data?

The attack is the loss threshold of Yeom et al. (2018): a model usually fits its training
samples better than unseen ones, so a low loss on a sample suggests it was a training member.
Members are training samples, non-members tune samples (never the sealed test set), drawn in
equal numbers. The attack's ROC AUC (0.5 = guessing), its best advantage (TPR − FPR) and its
true-positive rate at a 1% false-positive rate come with bootstrap 95% intervals.

It is a lower bound: a stronger attack may find more. And the tune samples guided early
stopping, so they look a little like members, which makes the attack slightly weaker still.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import asdict, dataclass, field

import numpy as np

from guiapp.core.evaluation.common import require_trained
from guiapp.core.models.network import load_trained_model, predict
from guiapp.core.privacy.dp import load_dp_model
from guiapp.core.split.draw import train_tune_arrays
from guiapp.core.stats.interval_text import ci_clause
from guiapp.core.study.errors import TenfoldError
from guiapp.core.study.findings import Findings
from guiapp.core.study.model import Study, now_iso
from guiapp.core.study.task_context import NO_CONTEXT, TaskContext

AUC_WARN = 0.55  # warn above this attack ROC AUC
TPR_WARN = 0.02  # … or above this TPR at LOW_FPR
LOW_FPR = 0.01
KNN_FILE = "checkpoints/knn_baseline.skops"
MODEL_NAMES = {"network": "network", "dp_network": "network trained with differential privacy", "knn": "kNN baseline"}
ROC_POINTS = 60  # points kept of each ROC curve, for plots
_EPS = 1e-7


@dataclass
class AttackResult:
    """One model's audit: the attack's scores, intervals, counts and a plain-words reading."""

    model: str
    auc: float
    advantage: float
    tpr_at_low_fpr: float
    auc_ci: list = field(default_factory=list)
    advantage_ci: list = field(default_factory=list)
    tpr_at_low_fpr_ci: list = field(default_factory=list)
    tpr_at_low_fpr_p: float | None = None  # permutation p-value against a guessing attacker
    n_members: int = 0
    n_non_members: int = 0
    mean_loss_members: float = 0.0
    mean_loss_non_members: float = 0.0
    warn: bool = False
    reading: str = ""
    roc: dict = field(default_factory=dict)  # {"fpr": [...], "tpr": [...]}, thinned

    @property
    def name(self) -> str:
        return MODEL_NAMES.get(self.model, self.model)

    def to_dict(self) -> dict:
        return asdict(self)


# ----- the attack on two sets of losses -----------------------------------------------------------


def per_sample_loss(output: np.ndarray, y: np.ndarray, classification: bool) -> np.ndarray:
    """Cross-entropy of each sample's true class, or its squared error for regression."""
    output = np.asarray(output, dtype=np.float64)
    if classification:
        p = output[np.arange(len(y)), np.asarray(y, dtype=int)]
        return -np.log(np.clip(p, _EPS, 1.0))
    return (output.reshape(-1) - np.asarray(y, dtype=np.float64)) ** 2


def roc_points(member_loss: np.ndarray, non_member_loss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The attack's ROC curve (FPR, TPR), from threshold −∞ up; ties form one step."""
    scores = -np.concatenate([member_loss, non_member_loss])  # low loss → "member"
    is_member = np.r_[np.ones(len(member_loss)), np.zeros(len(non_member_loss))]
    order = np.argsort(-scores, kind="mergesort")
    s, m = scores[order], is_member[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # the last index of each distinct score
    tp = np.cumsum(m)[last]
    fp = last + 1 - tp
    return np.r_[0.0, fp / len(non_member_loss)], np.r_[0.0, tp / len(member_loss)]


def attack_scores(member_loss: np.ndarray, non_member_loss: np.ndarray) -> tuple[float, float, float]:
    """``(ROC AUC, best advantage TPR − FPR, TPR at 1% FPR)`` of the loss-threshold attack."""
    fpr, tpr = roc_points(member_loss, non_member_loss)
    auc = float(np.trapezoid(tpr, fpr))
    advantage = float(np.max(tpr - fpr))
    low = float(np.max(tpr[fpr <= LOW_FPR]))
    return auc, advantage, low


def loss_threshold_attack(
    member_loss, non_member_loss, *, model: str = "model", n_boot: int = 200, seed: int = 0
) -> AttackResult:
    """The attack on given losses, with bootstrap intervals (members and non-members resampled apart)."""
    member_loss = np.asarray(member_loss, dtype=np.float64)
    non_member_loss = np.asarray(non_member_loss, dtype=np.float64)
    if len(member_loss) < 2 or len(non_member_loss) < 2:
        raise TenfoldError("The membership audit needs at least two training and two tune samples.")
    auc, adv, low = attack_scores(member_loss, non_member_loss)
    cis: list = [[], [], []]
    p_low = None
    if n_boot:
        rng = np.random.default_rng(seed)
        boots = np.array(
            [
                attack_scores(
                    rng.choice(member_loss, len(member_loss)), rng.choice(non_member_loss, len(non_member_loss))
                )
                for _ in range(n_boot)
            ]
        )
        cis = [[float(v) for v in np.percentile(boots[:, k], [2.5, 97.5])] for k in range(3)]
        # Under guessing, members and non-members are exchangeable: shuffle who is who.
        pooled, k = np.concatenate([member_loss, non_member_loss]), len(member_loss)
        null = [attack_scores(*np.split(rng.permutation(pooled), [k]))[2] for _ in range(n_boot)]
        p_low = float((1 + sum(v >= low for v in null)) / (1 + n_boot))
    fpr, tpr = roc_points(member_loss, non_member_loss)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), ROC_POINTS)).astype(int))
    result = AttackResult(
        model=model,
        auc=auc,
        advantage=adv,
        tpr_at_low_fpr=low,
        auc_ci=cis[0],
        advantage_ci=cis[1],
        tpr_at_low_fpr_ci=cis[2],
        tpr_at_low_fpr_p=p_low,
        n_members=len(member_loss),
        n_non_members=len(non_member_loss),
        mean_loss_members=float(member_loss.mean()),
        mean_loss_non_members=float(non_member_loss.mean()),
        warn=leaks(auc, low, p_low, cis[0]),
        roc={"fpr": [round(float(v), 4) for v in fpr[keep]], "tpr": [round(float(v), 4) for v in tpr[keep]]},
    )
    result.reading = reading(result)
    return result


def leaks(auc: float, tpr_at_low_fpr: float, p_value: float | None = None, auc_ci=()) -> bool:
    """Tenfold's warning rule: attack AUC above 0.55, or TPR at 1% FPR above 2%.

    Each counts only when it is unlikely under guessing. With 50 samples a side a guessing
    attacker's AUC passes 0.55 one time in five, so the AUC must also have its 95% interval
    above 0.5. The TPR at 1% FPR rests on one or two non-members, and guessing passes 2% about
    a third of the time, so it must also have a permutation p below 0.05.
    """
    if auc > AUC_WARN and (not auc_ci or auc_ci[0] > 0.5):
        return True
    return bool(tpr_at_low_fpr > TPR_WARN and (p_value is None or p_value < 0.05))


def reading(r: AttackResult) -> str:
    """The audit of one model in plain words."""
    ci = ci_clause(r.auc_ci, digits=2)
    text = (
        f"Someone who can compute the {r.name}'s loss on a sample tells the {r.n_members} "
        f"training samples from {r.n_non_members} unseen ones with ROC AUC {r.auc:.2f}{ci}; "
        "0.50 is guessing. "
    )
    text += (
        f"The best threshold gives an advantage (TPR − FPR) of {r.advantage:.2f}, and at a 1% "
        f"false-positive rate it finds {r.tpr_at_low_fpr:.1%} of the training samples. "
    )
    if r.auc > AUC_WARN and not r.warn and r.auc_ci:
        text += (
            "Its 95% interval still includes 0.5 (guessing), so at this sample size it is not "
            "counted as a leak; more samples would tell. "
        )
    if r.tpr_at_low_fpr > TPR_WARN and not r.warn:
        text += (
            f"A guessing attacker gets that far at this sample size often enough "
            f"(permutation p = {r.tpr_at_low_fpr_p:.2f}) that it is not counted as a leak. "
        )
    if r.warn:
        text += (
            f"That is above Tenfold's warning lines (AUC {AUC_WARN}, {TPR_WARN:.0%} at 1% FPR): "
            "the model gives away who was in its training data. Do not share it when the data "
            "are sensitive, unless it is trained with differential privacy."
        )
    else:
        text += (
            "That is below Tenfold's warning lines: this attack finds no clear sign that the "
            "model gives away who was in its training data. A stronger attack might, so this is "
            "no guarantee."
        )
    if r.n_non_members < 1 / LOW_FPR:
        text += (
            f" With {r.n_non_members} unseen samples a 1% false-positive rate is less than one "
            "sample: that figure is read at zero false positives and is coarse."
        )
    return text


# ----- the audit of a study -------------------------------------------------------------------


def knn_pipeline(study: Study):
    """The kNN baseline as the study's baselines are built: impute → scale → k nearest neighbours."""
    # sklearn: imported lazily, a heavy library
    from sklearn.impute import SimpleImputer
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    params = {"n_neighbors": 5}
    for r in study.baselines.results:  # a tuned kNN baseline, when the baselines step has one
        if r.get("name") in ("knn", "k_nearest_neighbors", "kneighbors"):
            params.update(
                {k: v for k, v in r.get("params", {}).items() if k in ("n_neighbors", "weights", "p", "metric")}
            )
    model = KNeighborsClassifier(**params) if study.is_classification else KNeighborsRegressor(**params)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("model", model)])


def _knn_output(pipe, X, study: Study) -> np.ndarray:
    if not study.is_classification:
        return pipe.predict(X)
    proba = pipe.predict_proba(X)
    full = np.zeros((len(X), len(study.data.classes)))
    full[:, pipe.classes_.astype(int)] = proba  # a class missing from training keeps probability 0
    return full


def save_knn(pipe, path) -> bool:
    """The fitted kNN with skops: no pickle, so loading it later can be restricted to known types.

    False when skops is not installed: the kNN then never leaves the study (no pickle fallback).
    """
    try:
        # skops: imported lazily, a heavy library
        import skops.io as sio
    except ImportError:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(_without_clock(sio.dumps(pipe)))
    tmp.replace(path)
    return True


def _without_clock(archive: bytes) -> bytes:
    """The skops zip made the same bytes for the same model, whenever and wherever it is saved.

    skops names its arrays and objects after their memory addresses (``id()``) and dates every
    entry with the clock; a resumed run rewrites the file, and the bundle's hashes must not
    change. The addresses become 1, 2, 3… in order of first appearance (references between
    objects keep pointing at the same number), and every entry is dated 1980-01-01.
    """

    with zipfile.ZipFile(io.BytesIO(archive)) as src:
        schema = src.read("schema.json").decode("utf-8")
        numbers: dict = {}
        for m in re.finditer(r'"__id__": (\d+)|"(\d+)\.npy"', schema):
            numbers.setdefault(m.group(1) or m.group(2), str(len(numbers) + 1))

        def renumber(m):
            if m.group(1):
                return f'"__id__": {numbers[m.group(1)]}'
            return f'"{numbers[m.group(2)]}.npy"'

        schema = re.sub(r'"__id__": (\d+)|"(\d+)\.npy"', renumber, schema)
        entries = []
        for info in src.infolist():
            name = info.filename
            if name == "schema.json":
                data = schema.encode("utf-8")
            else:
                data = src.read(name)
                stem = name[: -len(".npy")] if name.endswith(".npy") else None
                if stem in numbers:
                    name = numbers[stem] + ".npy"
            entries.append((name, info, data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, info, data in sorted(entries, key=lambda e: e[0]):
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            dst.writestr(fixed, data)
    return out.getvalue()


def audit_models(study: Study) -> list[str]:
    """The models an audit covers: the network, its DP twin when trained, and the kNN baseline."""
    models = ["network"]
    if study.ethics.dp.get("weights"):
        models.append("dp_network")
    return models + ["knn"]


def membership_inference_audit(
    study: Study,
    *,
    models: list | None = None,
    n_boot: int = 200,
    ctx: TaskContext = NO_CONTEXT,
) -> dict:
    """Attack each model with the loss threshold; record the results and warn where they leak.

    Members are training samples and non-members tune samples, the larger set subsampled
    (seeded) to the size of the smaller. The fitted kNN baseline is kept in the study folder
    (skops format), so the export can ship it when the sharing policy allows.
    """
    require_trained(study)
    models = list(models or audit_models(study))
    X_tr, y_tr, X_tu, y_tu = train_tune_arrays(study)
    seed = study.split.seed
    rng = np.random.default_rng(seed)
    n = min(len(y_tr), len(y_tu))
    members = np.sort(rng.choice(len(y_tr), n, replace=False))
    non_members = np.sort(rng.choice(len(y_tu), n, replace=False))
    classification = study.is_classification
    results, knn_saved = {}, False
    for i, name in enumerate(models):
        ctx.check()
        ctx.sub(i / len(models), (i + 1) / len(models)).report(0.0, f"Attacking the {MODEL_NAMES.get(name, name)}")
        if name == "network":
            model = load_trained_model(study)
            out_tr, out_tu = predict(study, X_tr[members], model), predict(study, X_tu[non_members], model)
        elif name == "dp_network":
            model = load_dp_model(study)
            out_tr, out_tu = predict(study, X_tr[members], model), predict(study, X_tu[non_members], model)
        elif name == "knn":
            pipe = knn_pipeline(study).fit(X_tr, y_tr)
            if study.folder is not None:
                knn_saved = save_knn(pipe, study.path(KNN_FILE))
            out_tr, out_tu = _knn_output(pipe, X_tr[members], study), _knn_output(pipe, X_tu[non_members], study)
        else:
            raise TenfoldError(f"No model named {name!r} to audit; choose from {', '.join(MODEL_NAMES)}.")
        result = loss_threshold_attack(
            per_sample_loss(out_tr, y_tr[members], classification),
            per_sample_loss(out_tu, y_tu[non_members], classification),
            model=name,
            n_boot=n_boot,
            seed=seed + i,
        )
        results[name] = result.to_dict()
    study.ethics.membership = {
        "audited_at": now_iso(),
        "attack": "loss threshold (Yeom et al. 2018)",
        "members": "training split",
        "non_members": "tune split",
        "n_per_side": int(n),
        "n_boot": n_boot,
        "auc_warn": AUC_WARN,
        "tpr_warn": TPR_WARN,
        "low_fpr": LOW_FPR,
        "models": results,
        "knn_file": KNN_FILE if knn_saved else "",
    }
    _record_leaks(study, results)
    ctx.report(1.0, "Membership audit done")
    return study.ethics.membership


def _record_leaks(study: Study, results: dict) -> None:
    """One finding per model whose attack crossed a warning line; earlier ones replaced."""
    findings = [f for f in study.findings if f.step == "ethics" and f.code != Findings.membership_leak.code]
    for name, r in results.items():
        if r["warn"]:
            findings.append(
                Findings.membership_leak.raise_(
                    model=MODEL_NAMES.get(name, name),
                    auc=r["auc"],
                    tpr=r["tpr_at_low_fpr"],
                    auc_line=AUC_WARN,
                    tpr_line=TPR_WARN,
                )
            )
    study.set_findings("ethics", findings)


def audit_summary(study: Study) -> list[str]:
    """One line per audited model, for the card and privacy.md; empty when no audit ran."""
    m = study.ethics.membership or {}
    lines = []
    for name, r in (m.get("models") or {}).items():
        ci = f" [{r['auc_ci'][0]:.2f}, {r['auc_ci'][1]:.2f}]" if r.get("auc_ci") else ""
        lines.append(
            f"{MODEL_NAMES.get(name, name)}: attack ROC AUC {r['auc']:.2f}{ci}, advantage "
            f"{r['advantage']:.2f}, TPR at 1% FPR {r['tpr_at_low_fpr']:.1%} "
            f"({r['n_members']} members vs {r['n_non_members']} non-members) — "
            + ("leaks membership" if r["warn"] else "below the warning lines")
        )
    return lines
