"""Tested ``accelerate`` configs for several GPUs: ``ddp`` and ``fsdp``.

``python -m babelforge.finetune.accelerate ddp`` prints the path of one, for ``accelerate launch``.
"""

from pathlib import Path

CONFIGS = {p.stem: p for p in Path(__file__).parent.glob("*.yaml")}


def config_path(name: str) -> Path:
    if name not in CONFIGS:
        raise SystemExit(f"unknown accelerate config {name!r}: valid: {', '.join(sorted(CONFIGS))}")
    return CONFIGS[name]
