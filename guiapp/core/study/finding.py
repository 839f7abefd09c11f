"""A finding and its kind: the records every warning Tenfold raises is made of.

A finding has a ``code`` that never changes (scripts and tests ask for it), the ``tip``
of Lee et al. (2022) it comes from, a ``severity`` and a plain-words ``message`` that says
what to do. The GUI shows them on the page and in the checklist, the model card lists them,
and ``inspect --json`` and ``metrics.json`` carry them. The kinds themselves are declared by
step (``findings_data``, ``findings_design``, ``findings_results``) and named through the one
catalogue, :class:`guiapp.core.study.findings.Findings`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class FindingKind:
    """A declared kind of finding; ``raise_`` fills its message template."""

    code: str
    tip: int
    severity: str
    step: str
    template: str
    # A blocking kind means the study's result cannot be trusted until the user acts: a remedy
    # settles it, or the user accepts it with a written reason (guiapp.core.study.blocking).
    blocks: bool = False
    # A short phrase for the headline of the card ("batch 'run' is confounded with the label"),
    # filled from the same values as the template; empty: the message's first sentence.
    caveat: str = ""

    def raise_(self, **values: Any) -> Finding:
        return Finding(
            code=self.code,
            tip=self.tip,
            severity=self.severity,
            step=self.step,
            message=self.template.format(**values),
            values={k: _plain(v) for k, v in values.items()},
            blocks=self.blocks,
        )


@dataclass(frozen=True)
class Finding:
    code: str
    tip: int
    severity: str
    step: str
    message: str
    values: dict = field(default_factory=dict, compare=False, hash=False)
    blocks: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        """Tolerant of older study files: a finding saved before kinds declared ``blocks`` takes
        its kind's word; keys this version does not know are left aside."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if "blocks" not in d:
            kind = Catalogue.kind_of(str(d.get("code", "")))
            d["blocks"] = bool(kind and kind.blocks)
        return cls(**d)


def _plain(value: Any) -> Any:
    """Numbers and strings that JSON can carry."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Catalogue:
    """Base of the catalogue of finding kinds: every :class:`FindingKind` attribute of the
    subclass and of the classes it inherits from, in declaration order.

    The catalogue that subclasses it is remembered, so :meth:`Finding.from_dict` can give a
    finding saved before kinds declared ``blocks`` its kind's word.
    """

    _catalogue: ClassVar[type[Catalogue] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Catalogue._catalogue = cls

    @classmethod
    def all(cls) -> list[FindingKind]:
        kinds: list[FindingKind] = []
        for klass in cls.__mro__:
            kinds.extend(v for v in vars(klass).values() if isinstance(v, FindingKind) and v not in kinds)
        return kinds

    @classmethod
    def by_code(cls, code: str) -> FindingKind:
        for kind in cls.all():
            if kind.code == code:
                return kind
        raise KeyError(code)

    @staticmethod
    def kind_of(code: str) -> FindingKind | None:
        """The declared kind of ``code`` in the catalogue; None when no kind has it."""
        if Catalogue._catalogue is None:
            return None
        try:
            return Catalogue._catalogue.by_code(code)
        except KeyError:
            return None
