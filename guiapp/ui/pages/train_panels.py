"""The Train page's pieces: its settings' choices and help, the live curves with their export,
and the status lines in words (Tips 6 and 3).

Not a page: ``pages/train.py`` builds from it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMenu, QToolButton, QVBoxLayout

from guiapp.core.models import train
from guiapp.core.stats.metrics import DISPLAY_NAMES
from guiapp.core.study.model import Study
from guiapp.core.study.vocabulary import LR_SCHEDULES
from guiapp.ui.forms import STRETCH, Button, Field
from guiapp.ui.live_curves import LiveCurves
from guiapp.ui.page_fit import cap_height
from guiapp.ui.plots import EXPORT_FORMATS, TRAIN_COLOUR, TUNE_COLOUR, export_plot
from guiapp.ui.train_warmup import DEVICE_NAMES
from guiapp.ui.why_disabled import enable
from guiapp.ui.widgets import heading

DEVICES = tuple(DEVICE_NAMES.items())
_SCHEDULE_LABELS = {
    "none": "Constant",
    "cosine": "Cosine: lower it smoothly to zero",
    "plateau": "Halve it when the tune loss stalls",
}
SCHEDULES = tuple((key, _SCHEDULE_LABELS[key]) for key in LR_SCHEDULES)
PRECISIONS = (("off", "Off (32-bit)"), ("bf16", "bfloat16"), ("fp16", "float16 (with loss scaling)"))
REPEAT_SEEDS = 3
NO_GPU_PRECISION = (
    "Mixed precision needs a GPU. On the CPU Tenfold trains in full 32-bit precision, "
    "which is what a CPU computes fastest, so there is nothing to gain."
)
PRECISION_TIP = (
    "Computes most layers in 16-bit numbers on the GPU: faster and lighter on memory, "
    "with a small loss of numerical precision. bfloat16 needs a recent GPU; float16 "
    "works on older ones."
)
DETERMINISTIC_COST = (
    "Speed cost: next to none on the CPU. On a GPU deterministic mode turns off the "
    "fastest algorithms, whose results differ slightly from run to run; training can be "
    "noticeably slower, convolutions most of all. Without it, the same seed can give a "
    "different network (Tip 3)."
)
DEVICE_TIP = (
    "Where to train. Automatic picks an NVIDIA or Apple GPU when "
    "present, else the CPU. Only devices this computer has are listed."
)
OPTIMIZER_TIP = (
    "How the weights are updated. Adaptive methods (AdamW, Adam) train "
    "fast but can generalise worse than SGD with momentum (Tip 3); the network's "
    "search on the Architecture page tries all three."
)

# ----- the settings and the buttons, as the page lays them out ------------------------------
MAIN_FIELDS = (
    Field(
        "device",
        "Device:",
        "combo",
        DEVICE_TIP,
        "Device",
        on_change="_on_device_changed",
        items=(("auto", DEVICE_NAMES["auto"]), ("cpu", DEVICE_NAMES["cpu"])),
    ),
    Field("device_info", "", "value", accessible="Device name and memory", text="Looking for GPUs…"),
    Field(
        "max_epochs",
        "Maximum epochs:",
        "spin",
        "Training stops after this many passes over the training split.",
        "Maximum epochs",
        bind="train.max_epochs",
        low=1,
        high=100000,
    ),
    Field(
        "patience",
        "Stop early after\n(epochs without improvement):",
        "spin",
        "Stop early when the tune loss has not improved for this many epochs.",
        "Early stopping patience",
        bind="train.patience",
        low=1,
        high=100000,
    ),
)
ADVANCED_FIELDS = (
    Field(
        "batch_size",
        "Batch size:",
        "spin",
        "Samples per weight update.",
        "Batch size",
        bind="train.batch_size",
        low=1,
        high=65536,
    ),
    Field(
        "learning_rate",
        "Learning rate:",
        "double",
        "Step size of the optimiser. Lower it if the loss jumps or diverges.",
        "Learning rate",
        bind="train.learning_rate",
        decimals=6,
        low=0.000001,
        high=1.0,
        adaptive=True,
    ),
    Field(
        "optimizer",
        "Optimizer:",
        "combo",
        OPTIMIZER_TIP,
        "Optimizer",
        bind="train.optimizer",
        items=tuple((k, train.OPTIMIZER_NAMES[k]) for k in train.OPTIMIZERS),
    ),
    Field(
        "lr_schedule",
        "Learning-rate schedule:",
        "combo",
        "How the learning rate changes during training. A schedule often ends at a slightly better network.",
        "Learning-rate schedule",
        bind="train.lr_schedule",
        items=SCHEDULES,
    ),
    Field(
        "mixed_precision",
        "Mixed precision:",
        "combo",
        PRECISION_TIP,
        "Mixed precision",
        bind="train.mixed_precision",
        items=PRECISIONS,
        enabled_when="_precision_possible",
    ),
    Field(
        "seed",
        "Random seed:",
        "spin",
        "One seed for Python, NumPy and torch: a rerun gives the same network (Tip 3).",
        "Random seed",
        bind="train.seed",
        low=0,
        high=2**31 - 1,
    ),
    Field(
        "deterministic",
        "",
        "check",
        DETERMINISTIC_COST,
        "Deterministic algorithms",
        bind="train.deterministic",
        text="Deterministic algorithms (reproducible)",
    ),
    Field("deterministic_cost", "", "note", text=DETERMINISTIC_COST),
)
RUN_BUTTONS = (
    Button("train_button", "Train", "Train a new network from scratch with these settings.", "_train", primary=True),
    Button("resume_button", "Resume", "Continue the stopped run from its last saved epoch.", "_resume"),
    Button(
        "pause_button",
        "Pause",
        "Hold training after the current batch, and go on where it stopped. "
        "A paused run holds its memory; Cancel frees it.",
        "_toggle_pause",
        action=False,
        accessible="Pause or resume training",
    ),
    Button(
        "cancel_button",
        "Cancel",
        "Stop training within one batch; the best weights so far are kept.",
        "session.runner.cancel",
        action=False,
    ),
    Button(
        "repeat_button",
        f"Repeat over {REPEAT_SEEDS} seeds",
        f"Train {REPEAT_SEEDS} times with different seeds and report the tune metric as mean ± sd: "
        "how much of a difference is just noise (Tip 3). Your trained network is kept.",
        "_repeat",
    ),
    STRETCH,
)
LOSS_SERIES = (("train_loss", "training split", TRAIN_COLOUR), ("tune_loss", "tune split", TUNE_COLOUR))


# ----- the status lines ---------------------------------------------------------------------
def describe(desc: dict | None) -> str:
    """A device's name and memory, as the probe found them."""
    if not desc:
        return ""
    memory = f" · {desc['memory_gb']:g} GB memory" if desc.get("memory_gb") else ""
    return f"{desc['name']}{memory}"


def eta_words(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def status_text(study: Study, can_resume: bool) -> str:
    """Where the study's training stands, in one sentence."""
    t = study.train
    if t.status == "running":
        return "Training was interrupted (Tenfold closed while it ran). Resume continues from the last saved epoch."
    if t.status == "cancelled" and can_resume:
        return f"Cancelled after {len(t.history)} epoch(s). Resume continues from the last saved epoch."
    if t.status == "done":
        return f"Done: {len(t.history)} epoch(s) in {t.seconds:.1f} s on {t.device_name or t.device_used or 'the CPU'}."
    if t.status == "failed":
        return "The last run failed; change the settings and train again."
    return "Not trained yet."


def speed_text(study: Study, record: dict, running: bool) -> str:
    """One epoch's speed, learning rate and tune loss (and the time left while it runs)."""
    parts = [f"{record.get('samples_per_second', 0):,.0f} samples/s"]
    if record.get("learning_rate") is not None:
        parts.append(f"learning rate {record['learning_rate']:.3g}")
    parts.append(f"epoch {record['epoch']} of {study.train.max_epochs}")
    parts.append(f"tune loss {record['tune_loss']:.4f}")
    if running and record.get("eta_seconds") is not None:
        parts.append(f"about {eta_words(record['eta_seconds'])} left")
    return " · ".join(parts)


def repeats_text(study: Study) -> str:
    """The tune metric over the repeated seeds, as mean ± sd."""
    r = study.train.repeats
    if not r or not r.get("scores"):
        return ""
    name = DISPLAY_NAMES.get(r.get("metric", ""), r.get("metric", ""))
    scores = ", ".join(f"{s:.3f}" for s in r["scores"])
    return (
        f"Over {len(r['scores'])} seeds ({', '.join(str(s) for s in r['seeds'])}): tune {name} "
        f"{r['mean']:.3f} ± {r['sd']:.3f} (mean ± sd; runs: {scores}). A difference smaller than "
        "this spread may be noise."
    )


# ----- the curves -----------------------------------------------------------------------------
class TrainingCurves:
    """The loss and tune-metric curves, live while training, with their export menu."""

    def __init__(self, page, body: QVBoxLayout) -> None:
        self.page = page
        curves_row = QHBoxLayout()
        curves_row.addWidget(heading("Curves"))
        curves_row.addStretch(1)
        self.export_button = QToolButton()
        self.export_button.setText("Export plots…")
        self.export_button.setAccessibleName("Export the training plots")
        self.export_button.setToolTip("Save a plot as a PNG image or an SVG drawing, for a report or a slide.")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        self.export_button.setEnabled(False)
        curves_row.addWidget(self.export_button)
        body.addLayout(curves_row)
        self.curves = LiveCurves(
            "The training and tune loss appear here, epoch by epoch, once training starts.",
            "Training and tune loss curves",
            LOSS_SERIES,
            "loss",
        )
        self.metric_curve = LiveCurves(
            "The tune metric appears here, epoch by epoch.", "Tune metric curve", [], "metric"
        )
        self.curves.title = "Loss per epoch · training and tune splits"
        self.metric_curve.title = "Tune metric per epoch · tune split"
        for area, what in ((self.curves, "loss"), (self.metric_curve, "metric")):
            for kind in EXPORT_FORMATS:
                action = self.export_menu.addAction(f"Save the {what} plot as {kind.upper()}…")
                action.triggered.connect(lambda _=False, a=area, k=kind, w=what: self.export(a, k, w))
        for area in (self.curves, self.metric_curve):
            cap_height(280, area)  # a drawn plot asks for about 480 px: keep the page short
            body.addWidget(area)

    @property
    def areas(self) -> tuple[LiveCurves, LiveCurves]:
        return self.curves, self.metric_curve

    def update_export(self) -> None:
        enable(
            self.export_button,
            "" if any(c.has_plot and c.n_points for c in self.areas) else "Nothing to save yet: train first.",
        )

    def export(self, area: LiveCurves, kind: str, what: str) -> str | None:
        """Save one plot as PNG or SVG where the user chooses; the path, or None."""
        page, study = self.page, self.page.study
        if not (area.has_plot and area.n_points):
            page.show_error(f"There is no {what} plot to save yet: train first.")
            return None
        start = str(study.path(f"artifacts/training-{what}.{kind}")) if study.folder else f"training-{what}.{kind}"
        path, _ = QFileDialog.getSaveFileName(page, f"Save the {what} plot", start, EXPORT_FORMATS[kind])
        if not path:
            return None
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            export_plot(area, path)
        except (OSError, ValueError) as exc:
            page.show_error(f"The plot could not be saved to {path}: {exc}")
            return None
        page.show_info(f"Saved the {what} plot to {path}.")
        return path
