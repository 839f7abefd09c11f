"""Attribution maps for image and sequence studies (Tip 8): where in an image, and at which
positions of a sequence, the network's attributions fall.

An image or sequence study trains on its rows flattened (``study.data.input_shape`` turns a
row back), so the per-feature integrated gradients of :mod:`guiapp.core.interpretation.interpret` are put
back in place here, by column name: ``px_y_x`` / ``r_y_x`` … for pixels, ``pos{p}_{letter}``
for one-hot letters. Columns dropped at loading (constant pixels, say) stay at zero.

- Images: the mean |integrated gradients| over the tune split as a heat map, and for a few
  tune samples the image beside its integrated-gradients and saliency (|gradient|) maps.
- Sequences: the mean |attribution| per position (a profile), the mean signed attribution of
  each letter where a sequence has it (toward the attributed output), and the positions that
  carry the most.

Each map is stored quantised (0…255, or −99…99 when signed), small enough for study.json.
Both come with a Tip 9 reading: attribution piled on an image's border (a ruler, a scanner
mark, a label burnt into the corner) or on a sequence's padding (its length, not its
letters) is a warning, written into the card with the other guards.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from guiapp.core.study.model import Study

EXAMPLES = 3  # tune samples shown with their own maps
TOP_POSITIONS = 10
BORDER = 0.1  # the outer tenth of each side is the image's border band
BORDER_WARN = 2.0  # warn when an edge carries this many times the attribution per pixel of the centre
PADDING_WARN = 2.0  # … and a padded position this many times the attribution of one every sequence fills
_PIXEL = re.compile(r"^(px|r|g|b)_(\d+)_(\d+)$")
_LETTER = re.compile(r"^pos(\d+)_(.+)$")
_CHANNELS = {"px": 0, "r": 0, "g": 1, "b": 2}


def modality(study: Study) -> str | None:
    """ "image" or "sequence" when the study's rows are flattened images or sequences."""
    d = study.data
    if d.modality == "image" and len(d.input_shape) == 3:
        return "image"
    if d.modality == "sequence" and len(d.input_shape) == 2:
        return "sequence"
    return None


def positions(study: Study) -> np.ndarray:
    """For each feature column, its index in the flattened full grid (−1 when not a pixel or letter).

    Images: ``c * H * W + y * W + x`` over ``input_shape`` [C, H, W]; sequences:
    ``(p - 1) * A + letter`` over [length, A], letters in the alphabet's order.
    """
    d = study.data
    out = np.full(len(d.feature_columns), -1, dtype=np.int64)
    if modality(study) == "image":
        c, h, w = d.input_shape
        for j, name in enumerate(d.feature_columns):
            m = _PIXEL.match(str(name))
            if m:
                k, y, x = _CHANNELS[m.group(1)], int(m.group(2)), int(m.group(3))
                if k < c and y < h and x < w:
                    out[j] = k * h * w + y * w + x
    elif modality(study) == "sequence":
        length, a = d.input_shape
        letters = _letters(study)
        for j, name in enumerate(d.feature_columns):
            m = _LETTER.match(str(name))
            if m and m.group(2) in letters:
                p, k = int(m.group(1)) - 1, letters.index(m.group(2))
                if 0 <= p < length and k < a:
                    out[j] = p * a + k
    return out


def _letters(study: Study) -> str:
    from guiapp.core.data.sequences import LETTERS  # imports pandas: the window imports this module at open

    alphabet = (study.data.options or {}).get("alphabet", "")
    if alphabet in LETTERS:
        return LETTERS[alphabet]
    # Older studies: read the letters off the column names, in order of first appearance.
    seen = dict.fromkeys(m.group(2) for n in study.data.feature_columns if (m := _LETTER.match(str(n))))
    return "".join(seen)


PATCHES = 8  # an image's permutation importance shuffles patches on an 8 × 8 grid at most


def feature_groups(study: Study) -> list[tuple[str, list[int]]]:
    """Columns shuffled together by permutation importance: each feature of a table alone, an
    image's square patches (all channels), a sequence's positions (all letters)."""
    names = list(study.data.feature_columns)
    kind = modality(study)
    if kind is None:
        return [(str(name), [j]) for j, name in enumerate(names)]
    where = positions(study)
    if (where < 0).any():
        return [(str(name), [j]) for j, name in enumerate(names)]
    groups: dict = {}
    if kind == "image":
        c, h, w = study.data.input_shape
        side = max(1, -(-max(h, w) // PATCHES))
        for j, flat in enumerate(where):
            y, x = (flat % (h * w)) // w, flat % w
            groups.setdefault((y // side, x // side), []).append(j)
        return [
            (
                f"patch rows {by * side + 1}–{min(h, (by + 1) * side)}, columns {bx * side + 1}–"
                f"{min(w, (bx + 1) * side)}",
                cols,
            )
            for (by, bx), cols in sorted(groups.items())
        ]
    a = study.data.input_shape[1]
    for j, flat in enumerate(where):
        groups.setdefault(int(flat // a), []).append(j)
    return [(f"position {p + 1}", cols) for p, cols in sorted(groups.items())]


def place(values: np.ndarray, where: np.ndarray, size: int) -> np.ndarray:
    """Rows of per-feature ``values`` (n × p) put into the full grid (n × size), zeros elsewhere."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    full = np.zeros((len(values), size))
    ok = where >= 0
    full[:, where[ok]] = values[:, ok]
    return full


def quantise(grid: np.ndarray, *, signed: bool = False) -> dict:
    """A map as small integers (0…255, or −99…99 when signed) and the value the top level stands for."""
    grid = np.nan_to_num(np.asarray(grid, dtype=np.float64))
    top = float(np.abs(grid).max()) if grid.size else 0.0
    levels = 99 if signed else 255
    q = np.rint(grid / top * levels).astype(int) if top > 0 else np.zeros(grid.shape, dtype=int)
    return {"levels": q.tolist(), "scale": top, "signed": signed}


def dequantise(stored: dict) -> np.ndarray:
    q = np.asarray(stored.get("levels") or [], dtype=np.float64)
    levels = 99 if stored.get("signed") else 255
    return q / levels * float(stored.get("scale") or 0.0)


# ----- building the maps ---------------------------------------------------------------------------


def build_maps(
    study: Study, attributions: np.ndarray, inputs: np.ndarray, *, model=None, forward=None, target=None
) -> dict:
    """The maps of an image or sequence study from per-sample attributions (n × features).

    ``inputs`` are the tune rows the attributions were computed on; ``forward`` and ``target``
    (as given to captum) let image examples add a saliency map. Empty for tables.
    """
    kind = modality(study)
    if kind is None or len(attributions) == 0:
        return {}
    where = positions(study)
    if kind == "image":
        return _image_maps(study, attributions, inputs, where, forward, target)
    return _sequence_maps(study, attributions, inputs, where)


def _image_maps(study: Study, attr, inputs, where, forward, target) -> dict:
    c, h, w = study.data.input_shape
    size = c * h * w
    per_sample = np.abs(place(attr, where, size)).reshape(-1, c, h, w).sum(axis=1)  # n × H × W
    mean = per_sample.mean(axis=0)
    chosen = _examples(study, inputs, forward, target)
    examples = []
    saliency = _saliency(forward, inputs[chosen], target, chosen) if forward is not None and chosen else None
    pixels = place(inputs[chosen], where, size).reshape(-1, c, h, w).mean(axis=1) if chosen else []
    for i, row in enumerate(chosen):
        ex = {
            "row": int(row),
            "label": _example_label(study, forward, inputs[row : row + 1]),
            "image": quantise(np.clip(pixels[i], 0.0, None)),
            "integrated_gradients": quantise(per_sample[row]),
        }
        if saliency is not None:
            ex["saliency"] = quantise(np.abs(place(saliency[i : i + 1], where, size)).reshape(c, h, w).max(axis=0))
        examples.append(ex)
    edge, ratio = _strongest_edge(mean)
    maps = {
        "kind": "image",
        "shape": [int(c), int(h), int(w)],
        "mean": quantise(mean),
        "examples": examples,
        "edge": edge,
        "edge_ratio": round(ratio, 3),
        "method": "integrated gradients (mean |attribution| per pixel, channels summed); saliency = |gradient|",
    }
    maps["reading"] = (
        f"Per pixel, the {edge} edge of the image (its outer {BORDER:.0%}) carries {ratio:.1f} times "
        "the attribution of the image's centre; the edges are where rulers, scanner marks and "
        "labels sit."
    )
    if ratio > BORDER_WARN:
        maps["warning"] = (
            f"The network leans on the image border: per pixel, the {edge} edge carries "
            f"{ratio:.1f} times the attribution of the centre. Rulers, scanner marks or labels "
            "near the edge can separate the classes for the wrong reason: look at the maps "
            "before reading anything into them (Tip 9)."
        )
    return maps


def _strongest_edge(mean: np.ndarray) -> tuple[str, float]:
    """The edge strip (outer tenth of one side) with the most attribution per pixel, and that
    density over the centre's (the pixels in no edge strip)."""
    h, w = mean.shape
    by, bx = max(1, int(round(h * BORDER))), max(1, int(round(w * BORDER)))
    strips = {"top": mean[:by], "bottom": mean[h - by :], "left": mean[:, :bx], "right": mean[:, w - bx :]}
    centre = mean[by : h - by, bx : w - bx]
    base = float(centre.mean()) if centre.size else float(mean.mean())
    density = {k: float(v.mean()) for k, v in strips.items()}
    edge = max(density, key=lambda k: density[k])
    return edge, (density[edge] / base if base > 0 else 0.0)


def _examples(study: Study, inputs, forward, target) -> list[int]:
    """A few tune rows to show: the most confident sample of each predicted class (classification),
    or the lowest, middle and highest prediction (regression)."""
    n = len(inputs)
    if n == 0:
        return []
    if forward is None:
        return list(range(min(EXAMPLES, n)))
    out = _outputs(forward, inputs)
    if out.ndim == 2:
        predicted, confidence = out.argmax(axis=1), out.max(axis=1)
        rows = []
        for k in np.unique(predicted):
            members = np.nonzero(predicted == k)[0]
            rows.append(int(members[np.argmax(confidence[members])]))
        rows += [int(i) for i in np.argsort(-confidence) if int(i) not in rows]
        return rows[:EXAMPLES]
    order = np.argsort(out.reshape(-1))
    return list(dict.fromkeys(int(order[i]) for i in (0, len(order) // 2, len(order) - 1)))[:EXAMPLES]


def _outputs(forward, inputs) -> np.ndarray:
    import torch  # torch: imported lazily so the window opens fast

    with torch.no_grad():
        return forward(torch.as_tensor(inputs, dtype=torch.float32)).numpy()


def _example_label(study: Study, forward, row) -> str:
    if forward is None:
        return ""
    out = _outputs(forward, row)
    if out.ndim == 2:
        k = int(out[0].argmax())
        return f"predicted {study.data.classes[k]} ({out[0, k]:.2f})"
    return f"predicted {float(out.reshape(-1)[0]):.3g}"


def _saliency(forward, rows, target, chosen) -> np.ndarray | None:
    """|gradient| of the attributed output at each input value (Simonyan et al. 2014)."""
    # torch and captum: imported lazily so the window opens fast
    import torch
    from captum.attr import Saliency

    x = torch.as_tensor(rows, dtype=torch.float32).requires_grad_()
    if isinstance(target, torch.Tensor):
        target = target[torch.as_tensor(chosen)]
    return Saliency(forward).attribute(x, target=target, abs=True).detach().numpy()


def _sequence_maps(study: Study, attr, inputs, where) -> dict:
    length, a = study.data.input_shape
    full = place(attr, where, length * a).reshape(-1, length, a)
    profile = np.abs(full).sum(axis=2).mean(axis=0)  # per position
    # per position and letter: the mean attribution of the letter where the sequence has it
    present = place(inputs, where, length * a).reshape(-1, length, a) > 0.5
    counts = present.sum(axis=0)
    signed = np.where(counts > 0, (full * present).sum(axis=0) / np.maximum(counts, 1), 0.0)
    letters = _letters(study)
    total = float(profile.sum())
    top = [int(p) for p in np.argsort(-profile, kind="stable")[:TOP_POSITIONS] if profile[p] > 0]
    rows: list[dict[str, Any]] = [
        {
            "position": p + 1,
            "share": round(float(profile[p] / total), 4) if total else 0.0,
            "letter": letters[int(np.argmax(np.abs(signed[p])))] if letters else "",
            "direction": "up" if signed[p][int(np.argmax(np.abs(signed[p])))] > 0 else "down",
        }
        for p in top
    ]
    maps = {
        "kind": "sequence",
        "length": int(length),
        "letters": letters,
        "profile": [round(float(v), 6) for v in profile],
        "letter_map": quantise(signed, signed=True),
        "top_positions": rows,
        "method": "integrated gradients (mean |attribution| per position, letters summed; per letter, "
        "the mean signed attribution where the sequence has that letter)",
    }
    head = sum(r["share"] for r in rows)
    maps["reading"] = f"The {len(rows)} positions that carry the most attribution hold {head:.0%} of it" + (
        f"; the first is position {rows[0]['position']} ({rows[0]['letter']})." if rows else "."
    )
    shortest = int(((study.data.options or {}).get("lengths") or {}).get("min") or length)
    if (study.data.options or {}).get("padded") and shortest < length and total > 0:
        pad_share = float(profile[shortest:].sum() / total)
        ratio = float(profile[shortest:].mean() / profile[:shortest].mean()) if profile[:shortest].any() else 0.0
        maps["padding_share"], maps["padding_ratio"] = round(pad_share, 4), round(ratio, 3)
        if ratio > PADDING_WARN:
            maps["warning"] = (
                f"Per position, the network's attribution past position {shortest}, where the "
                f"shorter sequences are padded, is {ratio:.1f} times that before it ({pad_share:.0%} "
                "of all of it): the network may be reading how long a sequence is rather than "
                "its letters (Tip 9)."
            )
    return maps
