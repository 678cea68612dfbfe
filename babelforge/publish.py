"""Publishing an output folder to the Hugging Face Hub."""

from __future__ import annotations

from babelforge.errors import BabelforgeError


def publish_output(folder, repo: str, private: bool = False, message: str | None = None) -> str:
    """Create (or reuse) the dataset repository ``repo`` and upload ``folder`` in a single commit.

    The token comes from ``HF_TOKEN`` or ``huggingface-cli login``; the endpoint from ``HF_ENDPOINT``.

    Returns:
        The commit's URL.

    Raises:
        BabelforgeError: when the Hub refuses (no token, no rights, bad id) or cannot be reached.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    name = folder.provenance.get("manifest", {}).get("name", folder.path.name)
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        commit = api.upload_folder(
            folder_path=str(folder.path),
            repo_id=repo,
            repo_type="dataset",
            commit_message=message or f"babelforge: publish {name}",
        )
    except HfHubHTTPError as error:
        raise BabelforgeError(
            f"the Hub refused publishing to {repo!r}: {error}. "
            "Check the id and your token (HF_TOKEN or `hf auth login`)"
        ) from None
    except (OSError, ValueError) as error:
        raise BabelforgeError(f"could not publish to {repo!r}: {error}") from None
    return getattr(commit, "commit_url", str(commit))
