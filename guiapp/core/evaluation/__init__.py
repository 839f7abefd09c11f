"""The Overfitting and Evaluate steps (Tips 1, 7 and 9): overfitting, the sealed test, controls and guards."""
