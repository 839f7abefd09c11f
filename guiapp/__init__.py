"""Tenfold: a guided deep-learning study for biologists, after the Ten Quick Tips."""

__version__ = "0.1.0"
