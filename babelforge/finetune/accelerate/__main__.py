import sys

from babelforge.finetune.accelerate import config_path

print(config_path(sys.argv[1] if len(sys.argv) > 1 else "ddp"))
