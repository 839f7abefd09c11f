"""The Overfitting and Evaluate steps (Tips 1, 4, 7 and 9), and the verdict after training.

- Overfitting step: ``overfitting`` (train vs tune gap), ``learning_curve``, ``shuffle_control``.
- Evaluate step: ``tune_evaluation`` (the tune-set panel, threshold, minority rule),
  ``sealed_test`` (the one-time sealed test and the test predictions), ``subgroups``, ``guards``,
  ``cross_validation`` (+ ``cross_validation_card``), ``conclusion``, ``score_table``
  (the models × metrics table of a split).
- Success criteria: ``scoreboard``, ``criterion_status``, ``criteria_rows``, ``criteria``
  (measurements), ``generalization`` (leave one batch out, attribution stability).
- External cohorts: ``external`` (scored once), ``external_read``, ``external_shift``,
  ``external_results``.
- Is deep learning warranted: ``verdict`` (+ ``verdict_card``).
- ``common``: what the steps share (the trained network they need, the findings they replace).
"""
