"""The Baselines, Architecture and Train steps (Tips 1, 2, 3, 5 and 6): baselines, networks, tuning, training.

- Baselines: ``baseline_models`` (the models, their search spaces and forms), ``baselines`` (tune and fit them).
- Networks: ``mlp``, ``catalogue`` (CNNs, transformer), ``grid_networks`` (rows back on their grid),
  ``network`` (the study's network, weights, predictions), ``checkpoint_transfer`` and ``transfer``
  (starting from a checkpoint), ``recommend`` (the Architecture step's choices).
- Tuning: ``search_space``, ``trials``, ``tuning_storage``, ``shared_search`` (cluster workers), ``tuning``
  (one search; the equal budget), ``network_search`` (the network's search).
- Training: ``engine`` (the one training loop: loss, targets, optimizer, early stopping), ``checkpoints``
  (the one checkpoint writer), ``train_run`` (one run of the Train step), ``train`` (the Train step),
  ``ddp``, ``ddp_rank``, ``ddp_failures`` (data-parallel training), ``retrain`` (refits for the controls),
  ``devices``.
"""
