"""The study itself: its model and folder, the spec, the steps, the findings and the words.

Everything here is vocabulary the other packages share; it imports none of them.
``vocabulary`` names every fixed set of choices (Literals and their tuples), the metrics and the
baselines; ``model`` holds :class:`~guiapp.core.study.model.Study`, made of the parts in
``sections`` and the records in ``records``; ``steps`` is the steps table that drives
``Study.invalidate_after``; ``findings`` is the catalogue of finding kinds, declared by step in
``findings_data``, ``findings_design`` and ``findings_results``.
"""
