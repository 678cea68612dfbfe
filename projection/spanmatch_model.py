"""The fitted scorer of ``spanmatch``: weights read from a small JSON file shipped with the package.

Three linear models, fitted by ``benchmarks/fit_spanmatch.py`` on labelled parallel data:

- ``cheap``: a conditional logit over every candidate of a source span, on the features that need no
  span embedding (:data:`~.spanmatch_features.CHEAP`); its best few make the shortlist;
- ``full``: a conditional logit over the shortlist with the span embeddings' similarity too, with
  optional boosted trees correcting it (:mod:`.spanmatch_trees`); its softmax says how likely each
  candidate is to be the span's translation;
- ``calibration``: a logistic regression that turns the chosen candidate's evidence (its softmax
  probability, its margin over the runner-up, its similarities) into the probability that it is
  right, fitted on predictions for sentences the ranker did not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from babelforge.errors import BabelforgeError
from babelforge.projection.spanmatch_trees import Trees

#: Evidence about a chosen candidate that the calibration reads.
CALIBRATION = ("log_odds", "margin", "top", "similarity", "soft_f1", "align_recall", "align_precision", "skeleton",
               "trigram", "context", "outside_edge", "inside_neighbour", "words_abs", "span_names", "span_words",
               "span_numeric", "cooc_recall", "cooc_precision", "cooc_neighbour")  # fmt: skip
WEIGHTS_FILE = "spanmatch-weights.json"
SHIPPED = f"projection/data/{WEIGHTS_FILE}"
#: The weights file's layout (the feature lists are checked by name: :meth:`SpanMatchModel.check`).
VERSION = 1


@dataclass(frozen=True)
class Linear:
    """``coef . (terms(x) - mean) / scale + intercept``, where ``x`` holds the named ``inputs``.

    A term is an input by name, or the product of two (``"similarity*recall"``).
    """

    inputs: tuple[str, ...]
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((self.terms(x) - self.mean) / self.scale) @ self.coef + self.intercept

    def terms(self, x: np.ndarray) -> np.ndarray:
        """The terms of rows ``x`` of ``inputs``, a column each."""
        return expand(x, self.inputs, self.features)

    def to_json(self) -> dict:
        return {
            "inputs": list(self.inputs),
            "features": list(self.features),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "coef": _rounded(self.coef),
            "intercept": round(float(self.intercept), 6),
        }

    @classmethod
    def from_json(cls, data: dict) -> Linear:
        return cls(
            tuple(data.get("inputs", data["features"])),
            tuple(data["features"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["coef"], dtype=np.float64),
            float(data.get("intercept", 0.0)),
        )


def expand(x: np.ndarray, inputs: tuple[str, ...], terms: tuple[str, ...]) -> np.ndarray:
    """Columns of ``terms`` from rows of ``inputs`` (a term ``a*b`` is the product of two inputs)."""
    at = {name: i for i, name in enumerate(inputs)}
    if tuple(terms) == tuple(inputs):
        return x
    columns = []
    for term in terms:
        a, _, b = term.partition("*")
        columns.append(x[:, at[a]] * x[:, at[b]] if b else x[:, at[a]])
    return np.stack(columns, axis=1) if columns else np.zeros((len(x), 0))


def _rounded(values) -> list[float]:
    return [round(float(v), 6) for v in values]


@dataclass(frozen=True)
class SpanMatchModel:
    """The cheap and full rankers, the calibration, and the search settings they were fitted with."""

    cheap: Linear
    full: Linear
    calibration: Linear
    shortlist: int = 6
    extra_words: int = 2
    about: dict | None = None
    coverage: float = 1.0
    trees: Trees | None = None
    origin: str = ""  # where the weights were read from, for messages

    def rank(self, rows: np.ndarray) -> np.ndarray:
        """The full ranker's logits for shortlist rows: the linear part, and the trees' corrections."""
        logits = self.full(rows)
        return logits + self.trees(rows) if self.trees is not None and len(rows) else logits

    def shortlist_size(self, cheap_logits: np.ndarray) -> int:
        """How many of the cheap ranker's best to embed: enough to hold ``coverage`` of its probability,
        at least two, at most ``shortlist`` (a name written the same on both sides needs few)."""
        if self.coverage >= 1.0 or len(cheap_logits) <= 2:
            return min(self.shortlist, len(cheap_logits))
        p = np.sort(np.exp(cheap_logits - cheap_logits.max()))[::-1]
        needed = int(np.searchsorted(np.cumsum(p) / p.sum(), self.coverage)) + 1
        return int(np.clip(needed, 2, self.shortlist))

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Softmax over one source span's shortlist."""
        if not len(logits):
            return logits
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def confidence(self, logits: np.ndarray, chosen: int, row: np.ndarray, features: tuple[str, ...]) -> float:
        """The calibrated probability that candidate ``chosen`` (a row of ``features``) is right."""
        z = calibration_row(logits, chosen, row, features)
        return float(1 / (1 + np.exp(-self.calibration(z[None, :])[0])))

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "about": self.about or {},
            "shortlist": self.shortlist,
            "coverage": self.coverage,
            "extra_words": self.extra_words,
            "cheap": self.cheap.to_json(),
            "full": self.full.to_json(),
            "calibration": self.calibration.to_json(),
            **({"trees": self.trees.to_json()} if self.trees is not None else {}),
        }

    def save(self, path: str | Path) -> None:
        """Write the weights as JSON, a line per model part (small diffs when refitted)."""
        lines = []
        for key, value in self.to_json().items():
            if isinstance(value, dict) and key != "about":
                inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
                lines.append(f" {json.dumps(key)}: {{\n{inner}\n }}")
            else:
                lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        Path(path).write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")

    def check(self, cheap: tuple[str, ...], full: tuple[str, ...]) -> SpanMatchModel:
        """These weights, if they were fitted on the features ``cheap`` and ``full`` (else an error).

        Raises:
            BabelforgeError: naming the weights file, the features that differ, and how to refit.
        """
        wanted = {"cheap": cheap, "full": full, "calibration": CALIBRATION}
        found = {"cheap": self.cheap.inputs, "full": self.full.inputs, "calibration": self.calibration.inputs}
        problems = [_difference(part, found[part], wanted[part]) for part in wanted if found[part] != wanted[part]]
        if problems:
            where = self.origin or "(in memory)"
            raise BabelforgeError(
                f"spanmatch weights {where} do not fit this version's features ({'; '.join(problems)}): refit "
                f"them with `python benchmarks/fit_spanmatch.py --ner LANG SOURCE TARGET ... --out {where}` (it "
                "starts from these weights, new features at 0), or pass weights fitted by this version"
            )
        return self

    @classmethod
    def from_json(cls, data: dict, origin: str = "") -> SpanMatchModel:
        if data.get("version") != VERSION:
            raise BabelforgeError(
                f"spanmatch weights {origin} have layout version {data.get('version')!r}, this version reads "
                f"{VERSION}: refit them with benchmarks/fit_spanmatch.py"
            )
        try:
            return cls(
                Linear.from_json(data["cheap"]),
                Linear.from_json(data["full"]),
                Linear.from_json(data["calibration"]),
                int(data.get("shortlist", 6)),
                int(data.get("extra_words", 2)),
                data.get("about"),
                float(data.get("coverage", 1.0)),
                Trees.from_json(data["trees"]) if data.get("trees") else None,
                origin,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BabelforgeError(
                f"spanmatch weights {origin} are not in the expected layout ({type(error).__name__}: {error}): "
                "write them with benchmarks/fit_spanmatch.py"
            ) from None

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpanMatchModel:
        """The weights at ``path``, or the ones shipped with babelforge."""
        if path is None:
            return _shipped()
        if not Path(path).is_file():
            raise BabelforgeError(f"no spanmatch weights at {path}: write them with benchmarks/fit_spanmatch.py")
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except ValueError as error:
            raise BabelforgeError(f"spanmatch weights {path} are not JSON ({error})") from None
        return cls.from_json(data, str(path))


@cache
def _shipped() -> SpanMatchModel:
    shipped = resources.files("babelforge.projection").joinpath("data", WEIGHTS_FILE)
    if not shipped.is_file():
        raise BabelforgeError(f"the shipped spanmatch weights ({WEIGHTS_FILE}) are missing: reinstall babelforge")
    return SpanMatchModel.from_json(json.loads(shipped.read_text(encoding="utf-8")), SHIPPED)


def _difference(part: str, found: tuple[str, ...], wanted: tuple[str, ...]) -> str:
    """What differs between two feature lists, for a message."""
    missing, extra = [f for f in wanted if f not in found], [f for f in found if f not in wanted]
    if not missing and not extra:
        return f"{part}: the same features in another order"
    return f"{part}: " + ", ".join([*(f"lacks {f}" for f in missing), *(f"has unknown {f}" for f in extra)])


def calibration_row(logits: np.ndarray, chosen: int, row: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """The :data:`CALIBRATION` evidence of candidate ``chosen`` among a span's shortlist ``logits``."""
    e = np.exp(logits - logits.max())
    p = float(np.clip(e[chosen] / e.sum(), 1e-6, 1 - 1e-6))
    others = np.delete(logits, chosen)
    margin = float(logits[chosen] - others.max()) if len(others) else 10.0
    named = dict(zip(features, row, strict=True))
    values = {
        "log_odds": np.log(p / (1 - p)),
        "margin": np.clip(margin, -10, 10),
        "top": float(chosen == int(np.argmax(logits))),
    }
    return np.array([values[n] if n in values else named[n] for n in CALIBRATION], dtype=np.float64)


def assign(spans: list[np.ndarray], probabilities: list[np.ndarray]) -> list[int | None]:
    """Give each source span one candidate, most probable pairs first, no two overlapping.

    Args:
        spans: per source span, its candidates' ``(start, end)`` rows.
        probabilities: per source span, each candidate's probability.

    Returns:
        Per source span, the index of its candidate, or ``None`` where every one overlaps a taken one.
    """
    pairs = sorted(
        ((float(p), a, b) for a, ps in enumerate(probabilities) for b, p in enumerate(ps)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    chosen: list[int | None] = [None] * len(spans)
    taken: list[tuple[int, int]] = []
    for _, a, b in pairs:
        if chosen[a] is not None:
            continue
        start, end = int(spans[a][b][0]), int(spans[a][b][1])
        if all(end <= s or start >= e for s, e in taken):
            chosen[a] = b
            taken.append((start, end))
    return chosen
