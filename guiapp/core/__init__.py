"""The study and every step of it, in plain Python: no Qt here, ever.

Everything the wizard does is a call into this package that a notebook, the CLI or a
cluster job can make the same way.
"""
