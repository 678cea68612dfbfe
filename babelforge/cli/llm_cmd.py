"""``babelforge llm cache stats|clear``: see and manage the LLM request cache, per endpoint.

``babelforge llm estimate MANIFEST`` prices a manifest's LLM steps without running it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from babelforge.cli.console import out

app = typer.Typer(help="The LLM request cache and cost estimates.", no_args_is_help=True)
cache_app = typer.Typer(help="The LLM request cache ($BABELFORGE_HOME/llm-cache.sqlite), per endpoint.")
app.add_typer(cache_app, name="cache")

CACHE_OPTION = typer.Option(None, "--cache", help="Cache file (default $BABELFORGE_HOME/llm-cache.sqlite).")


def _cache(path: Path | None):
    """The cache, or ``None`` where no file is (reading it must not create one)."""
    from babelforge.llm.cache import RequestCache
    from babelforge.models import babelforge_home

    path = path or babelforge_home() / "llm-cache.sqlite"
    return RequestCache(path) if Path(path).is_file() else None


@cache_app.command("stats")
def stats(
    endpoint: str | None = typer.Option(None, "--endpoint", help="Only this base URL."),
    cache: Path | None = CACHE_OPTION,
) -> None:
    """Answers cached per endpoint: entries, models and size."""
    from babelforge.llm.cache import normalise_url

    known = _cache(cache)
    found = known.stats() if known is not None else {}
    if endpoint is not None:
        found = {k: v for k, v in found.items() if k == normalise_url(endpoint)}
    if not found:
        out.print("the LLM cache is empty" + (f" for {normalise_url(endpoint)}" if endpoint else ""), highlight=False)
        return
    for url, entry in found.items():
        out.print(
            f"{url}: {entry['entries']:,} answer(s), {entry['models']} model(s), {entry['bytes'] / 1e6:.2f} MB",
            highlight=False,
        )


@cache_app.command("clear")
def clear(
    endpoint: str | None = typer.Option(None, "--endpoint", help="Only this base URL's answers."),
    legacy: bool = typer.Option(False, "--legacy", help="Only answers cached before the per-endpoint key."),
    cache: Path | None = CACHE_OPTION,
) -> None:
    """Remove cached answers: all of them, one endpoint's, or the legacy ones."""
    from babelforge.errors import BabelforgeError
    from babelforge.llm.cache import normalise_url

    if endpoint is not None and legacy:
        raise BabelforgeError("llm cache clear: give --endpoint or --legacy, not both")
    known = _cache(cache)
    if known is None:
        out.print("the LLM cache is empty: nothing to remove", highlight=False)
        return
    if endpoint is not None and normalise_url(endpoint) not in (held := known.stats()):
        listed = ", ".join(held) or "none"
        raise BabelforgeError(
            f"llm cache clear: no answers cached for {normalise_url(endpoint)} (from --endpoint {endpoint!r}); "
            f"endpoints cached: {listed}"
        )
    removed = known.clear(endpoint, legacy)
    scope = normalise_url(endpoint) if endpoint else ("legacy entries" if legacy else "all endpoints")
    out.print(f"removed {removed:,} cached answer(s) ({scope})", highlight=False)


@app.command("estimate")
def estimate(
    manifest: Path = typer.Argument(..., help="Manifest YAML.", show_default=False),
    sample: int = typer.Option(50, "--sample", min=1, help="Records to run the LLM steps on (nothing is sent)."),
    pilot: int = typer.Option(0, "--pilot", min=0, help="Real requests per step to measure answer lengths."),
) -> None:
    """Estimate requests, tokens and cost of each LLM step of a manifest."""
    from babelforge.errors import BabelforgeError
    from babelforge.llm.estimate import cost_lines, estimate_step_costs
    from babelforge.manifest import load_manifest

    costs = estimate_step_costs(load_manifest(manifest), sample=sample, pilot=pilot)
    for line in cost_lines(costs) or ["no LLM step in this manifest"]:
        out.print(line, highlight=False, markup=False)
    if failed := [f"{c.label}: {c.pilot_failed}" for c in costs if c.pilot_failed]:
        raise BabelforgeError(f"the pilot measured nothing: {'; '.join(failed)}")
