"""Issue 16 faults: `babelforge mix` messages name each place once."""

import pytest

from babelforge.manifest import ManifestError
from babelforge.mixture import load_mixture
from babelforge.mixture_components import open_components


def test_a_missing_component_names_the_folder_looked_in_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mix.yaml").write_text("name: m\ncomponents: [{path: out/nope}]\noutput: {path: out/mix}\n")
    with pytest.raises(ManifestError, match=r"no output folder at 'out/nope' \(looked in [^ ]+\): write it") as raised:
        open_components(load_mixture(tmp_path / "mix.yaml"))
    assert str(raised.value).count(str(tmp_path.resolve())) == 2  # the mixture file, then the one folder
