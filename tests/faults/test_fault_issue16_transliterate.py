"""Issue 16 faults: a transliteration target that names no script is refused when the manifest is checked."""

import pytest
from pydantic import ValidationError

from babelforge.augment.transliterate_settings import TransliterateSettings


@pytest.mark.parametrize("code", ["Zzzz", "zyyy", "Zinh", "Zxxx"])
def test_a_special_iso_15924_code_is_no_target(code):
    # before: valid, then every record was dropped as no_transform and the run wrote nothing
    with pytest.raises(ValidationError, match=rf"'{code}' in to names no script that text is written in"):
        TransliterateSettings(to=code)


def test_a_real_script_still_passes():
    assert TransliterateSettings(to="cyrl").to == "Cyrl"
