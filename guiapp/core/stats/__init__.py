"""Numbers any step may use: the metrics (``metrics``), their bootstrap intervals (``bootstrap``),
exact intervals where a bootstrap collapses (``exact_intervals``), the curves behind them
(``curves``), the whole metric panel (``panel``), the paired bootstrap of two models
(``paired_bootstrap``) and the metrics' names in running text (``metric_words``)."""
