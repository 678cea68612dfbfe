"""Models by name or path: resolved, converted where needed, cached, and loaded late.

A model is a Hugging Face id (``facebook/nllb-200-distilled-600M``) or a local folder. Resolution
looks in the local folder, then the Hugging Face cache, then the Hub, and fails fast with an error
that names the model and says how to get it when none of them has it. Steps check their models when
they are built (:func:`check_model`) without failing, so that ``babelforge run --dry-run`` shows the
plan with a missing model marked; a run calls :func:`require_models` before any work starts.
CTranslate2 conversions are cached under ``$BABELFORGE_HOME/ct2`` (default ``~/.cache/babelforge``),
one folder per model, revision and quantization, written atomically.

Nothing here imports torch, transformers or ctranslate2 at module import.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babelforge.errors import BabelforgeError, MissingDependencyError, brief

QUANTIZATIONS = ("default", "int8", "int8_float16", "int8_float32", "float16", "bfloat16", "float32")
#: Model types CTranslate2's Transformers converter handles, and the family that decides language tags.
FAMILIES = {"marian": "marian", "m2m_100": "m2m100", "nllb": "nllb", "t5": "t5", "mt5": "t5"}


class ModelNotFoundError(BabelforgeError):
    """A model that is neither a local folder, nor cached, nor reachable on the Hub.

    ``name`` is the model, ``why`` a few words for a plan line (``not cached, hub unreachable``) and
    ``fix`` how to get it.
    """

    def __init__(self, name: str, message: str, why: str, fix: str):
        self.name, self.why, self.fix = name, why, fix
        super().__init__(message)


def babelforge_home() -> Path:
    """Where babelforge caches conversions and translation memories (``$BABELFORGE_HOME``)."""
    return Path(os.environ.get("BABELFORGE_HOME", Path.home() / ".cache" / "babelforge"))


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk: what the user named, where it is, and which revision."""

    name: str
    path: Path
    revision: str

    @property
    def config(self) -> dict:
        config = self.path / "config.json"
        return json.loads(config.read_text()) if config.exists() else {}

    @property
    def family(self) -> str:
        """``nllb``, ``m2m100``, ``marian`` or ``t5`` (language tags differ per family)."""
        model_type = self.config.get("model_type", "")
        if model_type == "m2m_100" and "nllb" in self._tokenizer_class().lower():
            return "nllb"
        return FAMILIES.get(model_type, model_type or "unknown")

    def _tokenizer_class(self) -> str:
        config = self.path / "tokenizer_config.json"
        return json.loads(config.read_text()).get("tokenizer_class", "") if config.exists() else ""


def resolve_model(name: str, revision: str | None = None) -> ResolvedModel:
    """Find ``name`` locally, in the Hugging Face cache, or on the Hub (in that order).

    Raises:
        ModelNotFoundError: naming the model and how to get it, when no source has it.
    """
    local = Path(name).expanduser()
    if local.is_dir():
        return ResolvedModel(name, local.resolve(), f"local:{_folder_digest(local)}")
    if local.is_absolute() or name.startswith((".", "~")):
        fix = "check the path"
        raise ModelNotFoundError(name, f"model folder {name!r} does not exist: {fix}", "no such folder", fix)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        path = snapshot_download(name, revision=revision, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
        try:
            path = snapshot_download(name, revision=revision, etag_timeout=5)
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as error:
            raise _not_found(name, error) from None
    path = Path(path)
    return ResolvedModel(name, path, path.name)


def _not_found(name: str, error: Exception) -> ModelNotFoundError:
    """The error for a Hub id found nowhere, saying why the Hub did not have it (in full words)."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    text = str(error)
    if isinstance(error, GatedRepoError):
        why, hub = "gated on the Hub", "the Hub refused it (gated: accept its terms on its page, then log in)"
    elif isinstance(error, RepositoryNotFoundError):
        why, hub = "not on the Hub", "the Hub has no such model (or it is private: log in with `hf auth login`)"
    elif "outgoing traffic has been disabled" in text:
        why, hub = "not cached, hub offline", "the Hub is switched off here (HF_HUB_OFFLINE)"
    elif "internet connection" in text or "ConnectError" in text or "ConnectTimeout" in text:
        why, hub = "not cached, hub unreachable", f"the Hub is unreachable ({brief(text, 120)})"
    else:
        why, hub = "not cached, hub refused", f"it could not be fetched from the Hub ({brief(text, 200)})"
    fix = (
        f"get it with `hf download {name}` where the Hub is reachable (then copy the cache here, or name the "
        "downloaded folder in the manifest), or check the id's spelling"
    )
    message = f"model {name!r} is not a local folder, not in the Hugging Face cache, and {hub}: {fix}"
    return ModelNotFoundError(name, message, why, fix)


@dataclass(frozen=True)
class ModelCheck:
    """Whether a model a step names is at hand: ``resolved`` when it is, else the ``error`` a run raises."""

    name: str
    resolved: ResolvedModel | None = None
    error: ModelNotFoundError | None = None

    def describe(self) -> str:
        """One plan line: ``model NAME: found (revision ...)`` or ``model NAME: MISSING (why): how to get it``."""
        if self.error is not None:
            return f"model {self.name}: MISSING ({self.error.why}): {self.error.fix}"
        return f"model {self.name}: found (revision {self.resolved.revision})"

    def require(self) -> ResolvedModel:
        """The resolved model.

        Raises:
            ModelNotFoundError: naming the model and how to get it, when it is missing.
        """
        if self.error is not None:
            raise self.error
        return self.resolved


def check_model(name: str, revision: str | None = None) -> ModelCheck:
    """Look for ``name`` as :func:`resolve_model` does, without raising: what a step keeps from its ``build()``."""
    try:
        return ModelCheck(name, resolved=resolve_model(name, revision))
    except ModelNotFoundError as error:
        return ModelCheck(name, error=error)


def require_models(plan_or_steps) -> None:
    """Fail before any work when a step of the plan names a model that is missing.

    Args:
        plan_or_steps: a compiled :class:`~babelforge.pipeline.Plan`, or steps; each step's
            ``model_checks`` (from :func:`check_model`) are looked at.

    Raises:
        ModelNotFoundError: for the first missing model, naming it and how to get it.
    """
    for check in model_checks(plan_or_steps):
        check.require()


def model_checks(plan_or_steps) -> list[ModelCheck]:
    """The model checks of every step of a plan (or of the given steps), in order."""
    passes = getattr(plan_or_steps, "passes", None)
    steps: Iterable = [step for p in passes for step in p.steps] if passes is not None else plan_or_steps
    return [check for step in steps for check in getattr(step, "model_checks", ())]


def _folder_digest(folder: Path) -> str:
    """A short digest of a local model folder's config and weights sizes: changes when the model does."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


def is_ctranslate2_model(folder: Path) -> bool:
    """Whether ``folder`` already holds a converted CTranslate2 model (weights plus its vocabulary)."""
    vocabularies = ("shared_vocabulary", "source_vocabulary", "vocabulary")
    has_vocabulary = any((folder / f"{v}.{ext}").exists() for v in vocabularies for ext in ("json", "txt"))
    return (folder / "model.bin").exists() and has_vocabulary


def ctranslate2_model(model: ResolvedModel, quantization: str = "default") -> Path:
    """The CTranslate2 conversion of ``model``: converted on first use, then read from the cache.

    Raises:
        MissingDependencyError: when ctranslate2 or transformers is not installed.
        BabelforgeError: when the converter does not support the model.
    """
    if quantization not in QUANTIZATIONS:
        raise BabelforgeError(f"unknown quantization {quantization!r}: valid: {', '.join(QUANTIZATIONS)}")
    if is_ctranslate2_model(model.path):
        return model.path
    target = babelforge_home() / "ct2" / f"{_slug(model.name)}-{_slug(model.revision)}-{quantization}"
    if (target / "model.bin").exists():
        return target
    try:
        import ctranslate2
    except ImportError:
        raise MissingDependencyError("CTranslate2 translation", ["ctranslate2", "transformers"], "models") from None
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    converter = ctranslate2.converters.TransformersConverter(str(model.path), load_as_float16=False)
    try:
        converter.convert(str(partial), quantization=None if quantization == "default" else quantization)
    except (ValueError, NotImplementedError, KeyError) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise BabelforgeError(f"CTranslate2 cannot convert {model.name!r}: {error}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(partial, target)
    return target


def device() -> str:
    """``cuda`` when CTranslate2 sees a GPU, else ``cpu``."""
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "--" for c in text)[-120:]
