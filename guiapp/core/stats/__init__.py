"""Numbers any step may use: the metrics, their bootstrap intervals and the curves behind them."""
