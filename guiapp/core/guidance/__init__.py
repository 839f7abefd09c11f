"""The checklist of the ten tips and plain-words summaries: reads every step, read only by the UI, CLI and pipeline."""
