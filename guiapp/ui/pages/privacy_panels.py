"""The privacy instruments of the Ethics & privacy page: the membership-inference audit and the
differential-privacy retraining. Both are long core calls run through the page's task runner."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from guiapp.core.guidance.plain_summaries import privacy_risk
from guiapp.ui import detail_level
from guiapp.ui.eval_plots import xy_lines
from guiapp.ui.plain_summary import DETAILS_HINT, LightSummary
from guiapp.ui.plots import PlotArea
from guiapp.ui.widgets import ResultTable, heading, note, value_label

AUDIT_NOTE = (
    "The loss-threshold attack (Yeom et al. 2018) guesses that a sample was in the training data "
    "when the model fits it unusually well. It is run on the network and on a kNN baseline, with "
    "training samples against as many tune samples; the sealed test set is not used."
)
DP_NOTE = (
    "DP-SGD clips each sample's influence and adds noise, so the weights reveal little about any "
    "one record. Smaller ε is more private and usually less accurate; the cost is measured on the "
    "tune split. The DP copy is stored apart and may be shared when the ordinary weights may not."
)


def audit_rows(membership: dict) -> list[list]:
    from guiapp.core.privacy.membership import MODEL_NAMES

    rows = []
    for key, r in (membership.get("models") or {}).items():
        ci = f" [{r['auc_ci'][0]:.2f}, {r['auc_ci'][1]:.2f}]" if r.get("auc_ci") else ""
        rows.append(
            [
                MODEL_NAMES.get(key, key),
                f"{r['auc']:.3f}{ci}",
                f"{r['advantage']:.3f}",
                f"{r['tpr_at_low_fpr']:.1%}",
                f"{r['n_members']} / {r['n_non_members']}",
                "leaks membership" if r["warn"] else "below the warning lines",
            ]
        )
    return rows


class PrivacyPanels(QWidget):
    """Audit and DP controls; the page connects the buttons to its runner and calls ``show_study``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Membership-inference audit"))
        layout.addWidget(note(AUDIT_NOTE))
        row = QHBoxLayout()
        self.audit_button = QPushButton("Run the membership audit")
        self.audit_button.setToolTip(
            "Attack the trained models with the loss threshold and measure how "
            "well it tells training samples from unseen ones."
        )
        row.addWidget(self.audit_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.risk = LightSummary("Privacy risk")
        layout.addWidget(self.risk)
        self.details_hint = note(DETAILS_HINT + " (the attack's ROC AUC, advantage, TPR at 1% FPR)")
        layout.addWidget(self.details_hint)
        self.audit_table = ResultTable("Membership audit results")
        layout.addWidget(self.audit_table)
        self.audit_reading = value_label("Membership audit reading")
        layout.addWidget(self.audit_reading)
        self.attack_plot = PlotArea(
            "The attack's ROC curves appear here once the audit has run.",
            "Membership attack ROC curves",
            min_height=280,
        )
        layout.addWidget(self.attack_plot)
        self.technical = (self.audit_table, self.audit_reading, self.attack_plot)
        detail_level.follow(self._show_details)

        layout.addWidget(heading("Differential privacy"))
        layout.addWidget(note(DP_NOTE))
        form = QFormLayout()
        self.epsilon = QDoubleSpinBox()
        self.epsilon.setAccessibleName("Target epsilon")
        self.epsilon.setRange(0.1, 50.0)
        self.epsilon.setSingleStep(0.5)
        self.epsilon.setValue(3.0)
        self.epsilon.setToolTip("The privacy budget ε to reach; 1 to 10 is usual, smaller is more private.")
        form.addRow("Target ε:", self.epsilon)
        self.dp_epochs = QSpinBox()
        self.dp_epochs.setAccessibleName("DP epochs")
        self.dp_epochs.setRange(1, 1000)
        self.dp_epochs.setValue(30)
        self.dp_epochs.setToolTip(
            "Epochs of DP-SGD; the noise is calibrated so that all of them together spend the target ε."
        )
        form.addRow("Epochs:", self.dp_epochs)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.dp_button = QPushButton("Retrain with differential privacy")
        self.dp_button.setToolTip("Train a copy of the network with DP-SGD (opacus) for the target ε.")
        row.addWidget(self.dp_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.dp_result = value_label("Differential privacy result")
        layout.addWidget(self.dp_result)
        self.dp_plot = PlotArea(
            "Each retraining adds a point: the tune score against ε, beside the network "
            "trained without differential privacy.",
            "Utility against epsilon",
            min_height=240,
        )
        layout.addWidget(self.dp_plot)

    def show_study(self, study) -> None:
        from guiapp.core.privacy.dp import dp_summary

        m = study.ethics.membership or {}
        rows = audit_rows(m)
        self.audit_table.fill(
            ["model", "attack ROC AUC [95% CI]", "advantage", "TPR at 1% FPR", "members / non-members", "reading"],
            rows or [["Not run yet.", "", "", "", "", ""]],
        )
        readings = [r.get("reading", "") for r in (m.get("models") or {}).values()]
        self.audit_reading.setText(
            "\n\n".join(readings)
            if readings
            else "Run the audit to see whether the models give away who was in the training data."
        )
        self.dp_result.setText(dp_summary(study))
        self.risk.show_level(*privacy_risk(m))
        self._plots(study)

    def _show_details(self, on: bool) -> None:
        """The audit's numbers (table, reading, ROC curves) only with technical details on."""
        for widget in self.technical:
            widget.setVisible(on)
        self.details_hint.setVisible(not on)

    def _plots(self, study) -> None:
        from guiapp.core.privacy.membership import MODEL_NAMES
        from guiapp.core.stats.metrics import DISPLAY_NAMES

        models = (study.ethics.membership or {}).get("models") or {}
        curves = [
            (f"{MODEL_NAMES.get(k, k)} (AUC {m['auc']:.2f})", m["roc"]["fpr"], m["roc"]["tpr"])
            for k, m in models.items()
            if (m.get("roc") or {}).get("fpr")
        ]
        if curves:
            self.attack_plot.title = "Membership-inference attack ROC · training vs unseen samples"
            xy_lines(
                self.attack_plot,
                curves,
                x_label="false positive rate",
                y_label="true positive rate",
                unit_square=True,
                diagonal=True,
            )
        else:
            self.attack_plot.show_placeholder()
        dp = study.ethics.dp or {}
        runs = sorted(
            (h for h in dp.get("history") or [] if h.get("epsilon") is not None and h.get("dp_tune") is not None),
            key=lambda h: h["epsilon"],
        )
        if runs:
            plain = dp.get("non_private_tune")
            self.dp_plot.title = "Tune score against privacy budget ε · tune split"
            xy_lines(
                self.dp_plot,
                [("trained with DP-SGD", [h["epsilon"] for h in runs], [h["dp_tune"] for h in runs])],
                x_label="ε (smaller is more private)",
                y_label=f"tune {DISPLAY_NAMES.get(dp.get('metric'), dp.get('metric') or '')}",
                symbols=True,
                hline=(plain, f"without differential privacy {plain:.3f}") if plain is not None else None,
            )
        else:
            self.dp_plot.show_placeholder()
