"""The README's commands are the ones CI runs."""

import re
from pathlib import Path

REPO = Path(__file__).parent.parent


def test_ci_runs_the_readme_test_command():
    commands = [block.strip() for block in re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S)]
    assert len(commands) == 2, "the README has exactly two set-up commands"
    assert "manifests/quickstart.yaml" in commands[0]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert [line for line in ci if line and not line.startswith(("#", "set ", "cd "))] == [commands[1]]
