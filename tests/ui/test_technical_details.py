"""The "Show technical details" setting: off by default, remembered; plain summaries otherwise."""

from __future__ import annotations


def test_details_toggle_hides_and_shows_expert_metrics_and_is_remembered(
    temp_settings, qtbot, make_window, tmp_path, run_and_wait
):
    from guiapp.core.data import attach as data
    from guiapp.core.data import demo
    from guiapp.core.study.model import Study

    d = demo.simulated_expression(n_samples=90, n_genes=8, n_informative=3, batch_strength=2.0, seed=5)
    study = Study()
    study.save(tmp_path / "study")
    data.attach_data(
        study, data.AttachRequest(demo.write_demo(d, tmp_path / "data"), label=d.label, batch=d.batch, sensitive=False)
    )
    study.checklist_mode = False
    study.ethics.membership = {
        "auc_warn": 0.55,
        "tpr_warn": 0.02,
        "models": {
            "network": {
                "auc": 0.71,
                "auc_ci": [0.62, 0.8],
                "advantage": 0.3,
                "tpr_at_low_fpr": 0.05,
                "n_members": 40,
                "n_non_members": 40,
                "warn": True,
                "reading": "AUC 0.71: leaks.",
                "roc": {"fpr": [0, 1], "tpr": [0, 1]},
            }
        },
    }
    window = make_window(study)
    assert not window.details_action.isChecked()  # off by default
    assert window.go_to("batch", force=True)
    batch = window.page("batch")
    run_and_wait(window, batch.run_button)
    assert batch.mixing.level in ("green", "amber", "red") and batch.mixing.text.text()
    assert batch.metrics.has_rows and batch.metrics.isHidden() and batch.reading.isHidden()
    names = [batch.metrics.item(r, 1).text() for r in range(batch.metrics.rowCount())]
    assert "batch silhouette" in names and "batch ASW (scib)" not in names  # one silhouette scale
    assert not any("ASW" in n for n in names)
    privacy = window.page("ethics").privacy
    privacy.show_study(study)
    assert privacy.risk.level == "high" and "Privacy risk high" in privacy.risk.text.text()
    assert privacy.audit_table.isHidden() and privacy.attack_plot.isHidden()

    window.details_action.setChecked(True)
    assert not batch.metrics.isHidden() and not batch.reading.isHidden() and batch.details_hint.isHidden()
    assert not privacy.audit_table.isHidden()
    again = make_window(study)  # a new window (next session) remembers the choice
    assert again.details_action.isChecked() and not again.page("batch").metrics.isHidden()
    again.details_action.setChecked(False)
    assert batch.metrics.isHidden()
