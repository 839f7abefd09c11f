"""The Batch-effects step (Tips 4 and 7): batch metrics, the views, confounding and ComBat."""
