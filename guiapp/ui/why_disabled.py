"""A disabled control says why: its tooltip gives the reason while it is off, and its own
tip again once it is on."""

from __future__ import annotations

TIP = "enabledTip"  # the Qt property that keeps the control's own tooltip


def enable(widget, reason: str = "") -> bool:
    """Enable ``widget`` when ``reason`` is empty; otherwise disable it with ``reason`` as its tooltip."""
    own = widget.property(TIP)
    if own is None:
        own = widget.toolTip()
        widget.setProperty(TIP, own)
    widget.setEnabled(not reason)
    widget.setToolTip(own if not reason else reason)
    return not reason


NOT_TRAINED = "Train the network first (Train page)."
