"""The Baselines, Architecture and Train steps (Tips 1, 2, 3, 5 and 6): baselines, networks, tuning, training."""
