"""The parts of a study, one dataclass per step: what the user chose and what the step recorded.

:class:`guiapp.core.study.model.Study` holds one of each; ``study.json`` stores each as a JSON
object with the fields in the order declared here. Lists and dicts of plain values are typed;
the small records read by key are TypedDicts (:mod:`guiapp.core.study.records`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from guiapp.core.study.records import EthicsRecord, GroupSuggestion, SplitRemedyRecord
from guiapp.core.study.vocabulary import (
    HIGHER_IS_BETTER,
    BatchRemedy,
    CvMode,
    LrSchedule,
    MissingStrategy,
    Modality,
    SplitStrategy,
    Task,
    TrainStatus,
)


@dataclass
class Question:
    title: str = ""
    description: str = ""
    task: Task = "classification"
    target_metric: str = "roc_auc"
    target_value: float | None = None
    # Budgets of the success criteria, checked on the Evaluate page (None: no budget set)
    max_parameters: int | None = None  # model size, trainable parameters
    max_latency_ms: float | None = None  # inference time for one sample, on the CPU
    max_training_minutes: float | None = None
    max_calibration_error: float | None = None  # expected calibration error; set = calibration asked
    # Generalizability, interpretability and efficiency criteria (guiapp.core.evaluation.criteria)
    min_generalization: float | None = None  # the worst external cohort (or held-out batch) reaches this
    max_generalization_drop: float | None = None  # drop from the internal test set stays within this
    min_attribution_stability: float | None = None  # rank correlation of the top-k across bootstrap refits
    min_linear_agreement: float | None = None  # share of the top-k shared with the linear baseline
    known_markers: list[str] = field(default_factory=list)  # features the user expects among the top-k
    min_known_markers: int | None = None  # how many of them must be there (None: one, when markers are named)
    interpretability_top_k: int = 10
    max_inference_memory_mb: float | None = None  # peak memory of inference on one batch, CPU
    min_throughput: float | None = None  # samples per second, CPU


@dataclass
class Provenance:
    path: str = ""
    size_bytes: int = 0
    sha256: str = ""
    modified: str = ""
    source: str = ""
    version: str = ""
    downloaded: str = ""
    accession: str = ""  # e.g. GEO GSE12345, ArrayExpress E-MTAB-…
    url: str = ""


@dataclass
class DataState:
    label: str = ""
    batch: str = ""
    group: str = ""  # donor, patient, animal…: samples sharing it stay on one side of the split
    identifiers: list[str] = field(default_factory=list)
    subgroups: list[str] = field(
        default_factory=list
    )  # columns whose groups (site, sex, age band…) get their own metrics
    sensitive: bool | None = None  # None: not yet declared
    # the sensitivity questions of the Data page (Tip 10); None: not answered
    about_humans: bool | None = None
    identifiable: bool | None = None
    consent: bool | None = None  # informed consent or ethics (IRB) approval covers the data
    consent_reference: str = ""  # e.g. the IRB protocol number
    data_use_agreement: bool | None = None
    dua_reference: str = ""
    provenance: Provenance = field(default_factory=Provenance)
    # filled by the profile
    n_samples: int = 0
    n_features: int = 0
    feature_columns: list[str] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)
    class_counts: dict[str, int] = field(default_factory=dict)
    builtin: str = ""  # name of a built-in dataset, when the data came from one
    # data in (guiapp.core.data.attach): how the file was read, joined, turned and profiled
    modality: Modality = "table"
    input_shape: list[int] = field(
        default_factory=list
    )  # image [C, H, W], sequence [length, letters]; a row is flattened
    transposed: bool | None = None  # features were rows and were turned; None: detected when loading
    samples: str = ""  # a separate sample sheet (or label table) joined by sample ID
    sample_id: str = ""  # the data's column holding the sample IDs (empty: found by overlap)
    sample_sheet: dict[str, Any] = field(default_factory=dict)  # the sheet's provenance and how it matched
    roles: dict[str, str] = field(
        default_factory=dict
    )  # column -> feature|label|batch|group|subgroup|identifier|ignore
    transform: dict[str, list[str]] = field(
        default_factory=dict
    )  # {"log1p": [feature columns]} (guiapp.core.data.transform)
    missing: MissingStrategy = "median"  # median and most-frequent are imputed on the training split
    dropped: dict[str, Any] = field(
        default_factory=dict
    )  # what the missing-value choice dropped: {"rows": n, "columns": [...]}
    options: dict[str, Any] = field(
        default_factory=dict
    )  # format, sheet, encoding, image size and colour, sequence length…
    pii: list[dict[str, Any]] = field(
        default_factory=list
    )  # personal-identifier hits: [{column, category, kind, evidence, share}]
    pii_scan: dict[str, Any] = field(
        default_factory=dict
    )  # the scan itself: when, columns checked, found (pii.scan_record)
    profile: dict[str, Any] = field(default_factory=dict)  # the profile's numbers and words, for the Data page


@dataclass
class BatchState:
    color_by: str = "batch"  # batch | label | a column; what the Batch-effects plot is coloured by
    color_batch: str = ""  # the batch column when color_by was chosen; a new batch column resets it
    silhouette: float | None = None  # plain batch silhouette on the PCs
    reading: str = ""
    explained_variance: list[float] = field(default_factory=list)
    # the metrics of guiapp.core.batch.metrics, each a number or None when not measurable
    batch_asw: float | None = None  # scib: 1 − |silhouette| within labels; 1 = mixed
    ilisi: float | None = None  # 1 … number of batches; higher = better mixed
    ilisi_norm: float | None = None  # scib's scaled iLISI, (iLISI − 1) / (batches − 1)
    clisi: float | None = None  # 1 … number of labels; 1 = labels kept apart
    clisi_norm: float | None = None  # scib's scaled cLISI; 1 = labels kept apart
    kbet_rejection: float | None = None  # 0 … 1; near alpha (0.05) = well mixed
    pcr_batch: float | None = None  # 0 … 1; share of the PCs' variance explained by batch
    predictability: float | None = None  # 0 … 1 above chance (balanced accuracy, rescaled)
    predictability_accuracy: float | None = None  # balanced accuracy of predicting batch
    predictability_chance: float | None = None
    predictability_p: float | None = None  # permutation p-value
    lights: dict[str, str] = field(default_factory=dict)  # metric key -> "green" | "amber" | "red"
    metrics_sample_size: int | None = None  # points the sampled metrics used (None: all)
    # confounding of batch with the label
    contingency: dict[str, dict[str, int]] = field(default_factory=dict)  # batch -> {label: n}
    cramers_v: float | None = None
    confounding_p: float | None = None
    single_label_batches: list[str] = field(default_factory=list)
    confounded: bool = False
    # non-independence
    group_suggestions: list[GroupSuggestion] = field(default_factory=list)  # [{column, reason}]
    duplicate_pairs: list[list[Any]] = field(default_factory=list)  # [[i, j, "exact" | "near"]], row order
    # the remedy the user chose, and the metrics after it (ComBat: on the training split)
    remedy: BatchRemedy = "none"
    remedy_reason: str = ""
    after: dict[str, Any] = field(default_factory=dict)  # metric key -> value after the remedy
    combat_file: str = ""  # fitted ComBat parameters, inside the study folder
    combat_train_hash: str = ""  # hash of the training rows it was fitted on


@dataclass
class SplitState:
    strategy: SplitStrategy = "stratified"
    test_fraction: float = 0.2
    tune_fraction: float = 0.2
    seed: int = 0
    train_idx: list[int] = field(default_factory=list)
    tune_idx: list[int] = field(default_factory=list)
    test_idx: list[int] = field(default_factory=list)
    holdout_batches: list[str] = field(default_factory=list)  # batch-holdout: the batches asked for (empty: drawn)
    test_batches: list[str] = field(default_factory=list)  # batch-holdout: the batches the test set holds
    n_groups: dict[str, int] = field(default_factory=dict)  # group split: part -> number of groups
    test_hash: str = ""
    sealed: bool = False
    test_uses: int = 0
    # A read counted in test_uses whose scores were never stored (the process died during it);
    # the final evaluation finishes it as the same use (guiapp.core.evaluation.sealed_test).
    test_read_pending: bool = False
    unseal_reasons: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> {class: n}
    # copy-aware split: each cluster of exact and near copies stays on one side (default on)
    keep_copies_together: bool = True
    copy_clusters: dict[str, int] = field(default_factory=dict)  # {"clusters", "samples", "moved", "straddling"}
    # remedies applied to this split, each with the finding it answers: [{finding, remedy, text}]
    remedies: list[SplitRemedyRecord] = field(default_factory=list)
    # repeated nested cross-validation when the parts are too small to judge (guiapp.core.evaluation.cross_validation)
    cv: CvMode = "auto"
    cv_folds: int = 5
    cv_repeats: int = 3


@dataclass
class BaselineResult:
    name: str
    params: dict[str, Any]
    tune_metrics: dict[str, Any]
    train_metrics: dict[str, Any]
    fit_seconds: float = 0.0
    # the hyperparameter search (guiapp.core.models.tuning): space in words, trials used, best settings
    search_space: dict[str, Any] = field(default_factory=dict)
    n_trials: int = 0
    best_params: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)  # the whole search record, trial by trial
    cost: str = ""  # how its fit's cost grows with the training samples, in words
    form_note: str = ""  # why a scalable form replaced the exact one (empty: the exact form)


@dataclass
class BaselinesState:
    models: list[str] = field(default_factory=list)  # empty: every baseline of the task
    results: list[dict[str, Any]] = field(default_factory=list)  # of BaselineResult dicts
    budget_trials: int = 20  # optuna trials per baseline; the network gets [train] budget_trials

    def best(self, metric: str) -> dict[str, Any] | None:
        scored = [
            r
            for r in self.results
            if r["tune_metrics"].get(metric) is not None and math.isfinite(r["tune_metrics"][metric])
        ]
        if not scored:
            return None
        sign = 1 if HIGHER_IS_BETTER.get(metric, True) else -1  # RMSE and friends: lower wins
        return max(scored, key=lambda r: sign * r["tune_metrics"][metric])


@dataclass
class ArchitectureState:
    kind: str = "mlp"
    width: int = 64
    depth: int = 2
    dropout: float = 0.1
    n_params: int = 0
    modality: Modality = "table"  # decides the recommended architecture
    reason: str = ""  # why this architecture, in words
    memory_mb: float = 0.0  # estimated training memory (guiapp.core.models.catalogue)
    flops: int = 0  # forward FLOPs per sample
    pretrained: str = ""  # a local checkpoint to start from (guiapp.core.models.transfer)
    freeze: bool = False  # keep the loaded layers fixed; train only the rest
    transfer: dict[str, Any] = field(default_factory=dict)  # which layers were loaded, which skipped and why


@dataclass
class TrainState:
    device: str = "auto"
    device_used: str = ""
    max_epochs: int = 60
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 10
    seed: int = 0
    deterministic: bool = True
    status: TrainStatus = "not started"
    history: list[dict[str, Any]] = field(default_factory=list)  # per-epoch dicts
    best_epoch: int | None = None
    seconds: float = 0.0  # training time over every session (a resumed run adds its own)
    sessions: list[dict[str, Any]] = field(default_factory=list)  # per process: first and last epoch, seconds
    weights: str = ""  # path inside the study folder
    message: str = ""
    lr_schedule: LrSchedule = "none"
    mixed_precision: str = "off"  # off, bf16, fp16 (GPU only)
    device_name: str = ""
    device_memory_gb: float | None = None
    batch_size_used: int | None = None  # differs from batch_size after an out-of-memory retry
    repeats: dict[str, Any] = field(default_factory=dict)  # seeds, scores, mean, sd (noisy-run check)
    budget_trials: int = 20  # optuna trials of the network's search; equal to the baselines' by default
    optimizer: str = "adamw"  # adamw, adam, sgd (with momentum); searched with the other settings
    processes: int = 1  # data-parallel training in this many processes, one GPU each on CUDA (guiapp.core.models.ddp)


@dataclass
class TuningState:
    """How hyperparameters are searched (Tip 6), for the baselines and the network alike."""

    storage: str = ""  # optuna storage URL; empty: tuning.sqlite3 in the study folder
    storage_env: str = ""  # or the name of an environment variable holding the URL (kept out of every file)
    sampler: str = "tpe"  # tpe, random
    pruner: str = "median"  # median, none (network trials; baselines have no epochs to prune at)
    epochs: int = 20  # at most this many epochs per network trial
    worker: int = 0  # workers sharing one storage each take their own number
    network: dict[str, Any] = field(default_factory=dict)  # the network's search record
    comparison: dict[str, Any] = field(default_factory=dict)  # every model's tune score; paired bootstrap test


@dataclass
class VerdictState:
    """Tip 1's question, "is deep learning warranted here?", answered from the study's numbers."""

    stage: str = ""  # "" (not yet), "before training", "after training"
    level: str = ""  # promising, uncertain, doubtful; after training: warranted, not warranted
    headline: str = ""
    reasons: list[str] = field(default_factory=list)  # sentences with the numbers
    advice: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)
    recorded_at: str = ""
    proceed_reason: str = ""  # why the user goes on against the advice
    reason_at: str = ""


@dataclass
class OverfittingState:
    metric: str = ""
    train_score: float | None = None
    tune_score: float | None = None
    gap: float | None = None
    reading: str = ""
    learning_curve: dict[str, Any] = field(default_factory=dict)  # guiapp.core.evaluation.learning_curve
    shuffle: dict[str, Any] = field(
        default_factory=dict
    )  # the label-shuffle control, guiapp.core.evaluation.shuffle_control


@dataclass
class EvaluationState:
    tune_metrics: dict[str, Any] = field(default_factory=dict)
    test_metrics: dict[str, Any] = field(default_factory=dict)
    test_evaluated_at: str = ""
    baseline_test_metrics: dict[str, Any] = field(default_factory=dict)
    threshold: float = 0.5  # binary tasks: the positive-class probability above which a sample is called positive
    tune_groups: list[dict[str, Any]] = field(
        default_factory=list
    )  # per-batch and per-subgroup metrics (guiapp.core.evaluation.subgroups)
    test_groups: list[dict[str, Any]] = field(default_factory=list)
    measured: dict[str, Any] = field(
        default_factory=dict
    )  # model size and inference latency (guiapp.core.evaluation.scoreboard)
    cv: dict[str, Any] = field(default_factory=dict)  # repeated nested cross-validation: folds, scores, fold means
    external: list[dict[str, Any]] = field(
        default_factory=list
    )  # external cohorts, each evaluated once (guiapp.core.evaluation.external)
    generalization: dict[str, Any] = field(
        default_factory=dict
    )  # leave-one-batch-out estimate (guiapp.core.evaluation.generalization)
    efficiency: dict[str, Any] = field(
        default_factory=dict
    )  # memory, throughput, performance per FLOP (guiapp.core.evaluation.criteria)


@dataclass
class InterpretState:
    metric: str = ""
    importances: list[dict[str, Any]] = field(default_factory=list)  # [{feature, mean, std}], sorted
    attributions: list[dict[str, Any]] = field(
        default_factory=list
    )  # integrated gradients: [{feature, mean_abs, mean}], sorted
    attribution_note: str = ""  # why attributions are missing, when they are
    linear: list[dict[str, Any]] = field(
        default_factory=list
    )  # the linear baseline's standardised coefficients [{feature, coef}]
    agreement: dict[str, Any] = field(default_factory=dict)  # overlap of the top features with the linear baseline's
    guards: list[str] = field(default_factory=list)  # over-interpretation warnings, in words (Tip 9)
    maps: dict[str, Any] = field(
        default_factory=dict
    )  # image and sequence studies: attribution maps (attribution_maps)
    stability: dict[str, Any] = field(
        default_factory=dict
    )  # top-k rank correlation across bootstrap refits (generalization)


@dataclass
class EthicsEntry:
    concern: str
    raised_by: str = ""
    date: str = ""
    status: str = "open"  # or "resolved"
    mitigation: str = ""
    finding: str = ""  # "code:detail" of the finding that opened it (automatic entries only)


@dataclass
class EthicsState:
    register: list[EthicsRecord] = field(default_factory=list)  # of EthicsEntry dicts
    share_weights: str = "auto"  # auto, never, always
    share_reason: str = ""
    decided_at: str = ""  # when the user (or the spec) recorded the weight-sharing decision
    # the model card's fields only the study owner can write; the card says when they are empty
    intended_use: str = ""
    out_of_scope: str = ""
    limitations: str = ""
    membership: dict[str, Any] = field(
        default_factory=dict
    )  # the membership-inference audit (guiapp.core.privacy.membership)
    dp: dict[str, Any] = field(default_factory=dict)  # the differential-privacy retraining (guiapp.core.privacy.dp)


@dataclass
class ExportState:
    last_dir: str = ""
    exported_at: str = ""
    onnx: bool = False  # also write the shared networks as ONNX (needs the onnx package)
    carry: list[str] = field(default_factory=list)  # columns predictions.csv carries; empty: label, batch, subgroups
    manifest_sha256: str = ""  # of the last export's manifest.json: publish it beside the bundle
