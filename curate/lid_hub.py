"""fastText language-ID models on the Hugging Face Hub, named by a short spec.

``glotlid`` (cis-lmu/glotlid, 2000+ languages, ``__label__hau_Latn``), ``openlid`` and ``openlid-v2``
(laurievb/OpenLID, 201 languages), ``nllb-lid`` (NLLB's LID-218, facebook/fasttext-language-identification),
or any file as ``hf:OWNER/REPO/FILE``. The file is looked up in the Hugging Face cache first, then
fetched with ``huggingface_hub`` (so ``HF_HOME``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` apply); a model
that is neither cached nor reachable fails before any work with one line naming it and how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babelforge.errors import BabelforgeError, brief
from babelforge.models import ModelCheck, ModelNotFoundError, ResolvedModel

#: Short names and the ``(repository, file)`` each stands for.
HUB_MODELS = {
    "glotlid": ("cis-lmu/glotlid", "model.bin"),
    "openlid": ("laurievb/OpenLID", "model.bin"),
    "openlid-v2": ("laurievb/OpenLID-v2", "model.bin"),
    "nllb-lid": ("facebook/fasttext-language-identification", "model.bin"),
}


def is_hub_spec(spec: str) -> bool:
    return spec in HUB_MODELS or spec.startswith("hf:")


@dataclass(frozen=True)
class HubModel:
    """One fastText model file in a Hub repository."""

    spec: str
    repo: str
    filename: str

    @classmethod
    def from_spec(cls, spec: str) -> HubModel:
        if spec in HUB_MODELS:
            return cls(spec, *HUB_MODELS[spec])
        parts = spec[len("hf:") :].split("/")
        if len(parts) < 3 or not all(parts):
            example = "hf:cis-lmu/glotlid/model.bin"
            raise BabelforgeError(f"identifier {spec!r}: expected hf:OWNER/REPO/FILE (e.g. {example})")
        return cls(spec, "/".join(parts[:2]), "/".join(parts[2:]))

    def check(self) -> ModelCheck:
        """Whether the file is at hand (cache or Hub), without raising: for plans and ``require_models``."""
        try:
            path = self.require()
            return ModelCheck(self.spec, resolved=ResolvedModel(self.spec, path, f"{self.repo}@{path.parent.name}"))
        except ModelNotFoundError as error:
            return ModelCheck(self.spec, error=error)

    def require(self) -> Path:
        """The local path of the file, fetched when it is not cached.

        Raises:
            ModelNotFoundError: naming the model and how to get it.
        """
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

        try:
            return Path(hf_hub_download(self.repo, self.filename, local_files_only=True))
        except (LocalEntryNotFoundError, FileNotFoundError, ValueError):
            pass
        try:
            return Path(hf_hub_download(self.repo, self.filename, etag_timeout=5))
        except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as error:
            raise self._missing(error) from None

    def _missing(self, error: Exception) -> ModelNotFoundError:
        from huggingface_hub import constants

        text = str(error)
        if constants.HF_HUB_OFFLINE:
            why = "not cached, hub offline"
        elif "connection" in text.lower() or "Connect" in text:
            why = "not cached, hub unreachable"
        else:
            why = f"not cached, hub refused: {brief(text, 120)}"
        fix = (
            f"run `hf download {self.repo} {self.filename}` where the Hub is reachable and copy the Hugging Face "
            f"cache here, or download the file and name it as identifier: fasttext:PATH"
        )
        message = f"language identifier {self.spec!r} ({self.repo}, file {self.filename}): {why}: {fix}"
        return ModelNotFoundError(self.spec, message, why, fix)


def model_checks(identifier) -> list[ModelCheck]:
    """The Hub models an identifier names (a supplemented one: both sides), checked for a run's plan."""
    parts = [getattr(identifier, "supplement", None), getattr(identifier, "general", None)]
    if any(parts):
        return [check for part in parts if part is not None for check in model_checks(part)]
    hub = getattr(identifier, "hub", None)
    return [hub.check()] if hub is not None else []
