"""The Interpret step (Tips 8 and 9): attributions per feature, and maps for images and sequences."""
