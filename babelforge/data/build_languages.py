"""Regenerate ``languages.tsv``, the table behind :mod:`babelforge.langs`.

Run by hand when a supported model family changes (``python babelforge/data/build_languages.py``);
never imported at run time. Sources: the NLLB-200 and M2M100 language lists shipped in
``transformers``, lingua's language list, and CLDR names and aliases from ``langcodes``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import langcodes

HERE = Path(__file__).parent

# NLLB names individual languages where ISO 639-1 names the macrolanguage.
MACRO_OF = {
    "arb": "ara",
    "swh": "swa",
    "zsm": "msa",
    "pes": "fas",
    "npi": "nep",
    "khk": "mon",
    "plt": "mlg",
    "gaz": "orm",
    "lvs": "lav",
    "als": "sqi",
    "uzn": "uzb",
    "ory": "ori",
    "pbt": "pus",
    "ydd": "yid",
    "azj": "aze",
    "kmr": "kur",
    "quy": "que",
    "ayr": "aym",
    "knc": "kau",
    "fuv": "ful",
    "dik": "din",
    "prs": "fas",
    "twi": "aka",
    "ekk": "est",
}
# Where a macrolanguage maps to several codes, the one its ISO 639-1 code means.
PRIMARY = {"fas": "pes", "aka": "aka", "est": "est"}
# ISO 639-1 codes that CLDR replaced (tl became fil) but models still use.
ISO639_1_FIXES = {"tgl": "tl"}
# M2M100 codes that are not ISO 639-1.
M2M_FIXES = {"ns": "nso"}


def _fairseq_list(module: str, pattern: str) -> list:
    source = Path(__import__(module, fromlist=["x"]).__file__).read_text()
    return eval(re.search(pattern, source, re.S).group(1))  # a literal in a trusted file


def main() -> None:
    nllb = _fairseq_list("transformers.models.nllb.tokenization_nllb", r"FAIRSEQ_LANGUAGE_CODES = (\[.*?\])")
    m2m = _fairseq_list("transformers.models.m2m_100.tokenization_m2m_100", r"FAIRSEQ_LANGUAGE_CODES = (\{.*?\})")
    m2m100 = set(m2m["m2m100"])
    from lingua import Language

    lingua = {lang.iso_code_639_3.name.lower(): lang.name for lang in Language.all()}
    rows = {}
    for code in nllb:
        rows[code] = _row(code, nllb=code, m2m100=m2m100, lingua=lingua)
    # Languages that M2M100 or lingua know but NLLB does not.
    for short in sorted(m2m100):
        tag = langcodes.Language.get(M2M_FIXES.get(short, short)).maximize()
        three = langcodes.Language.get(M2M_FIXES.get(short, short)).to_alpha3()
        code = f"{three}_{tag.script}"
        if not any(r["iso639_1"] == short or r["iso639_3"] == three for r in rows.values()):
            rows[code] = _row(code, nllb="", m2m100=m2m100, lingua=lingua)
    for three in sorted(lingua):
        if not any(r["iso639_3"] == three or r["macro"] == three for r in rows.values()):
            tag = langcodes.Language.get(three).maximize()
            rows[f"{three}_{tag.script}"] = _row(f"{three}_{tag.script}", nllb="", m2m100=m2m100, lingua=lingua)
    with open(HERE / "languages.tsv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(next(iter(rows.values()))), delimiter="\t")
        writer.writeheader()
        writer.writerows(sorted(rows.values(), key=lambda r: r["code"]))


def _row(code: str, nllb: str, m2m100: set, lingua: dict) -> dict:
    three, script = code.split("_")
    macro = MACRO_OF.get(three, three)
    lang = langcodes.Language.get(macro)
    is_primary = macro == three or PRIMARY.get(macro, three) == three
    short = lang.language if len(lang.language) == 2 and is_primary else ""
    short = ISO639_1_FIXES.get(three, short)
    name = langcodes.Language.get(three).display_name()
    if name == three or name.startswith("Unknown"):
        name = lang.display_name()
    script_name = langcodes.Language.get(f"und-{script}").display_name().replace("Unknown language (", "")
    return {
        "code": code,
        "iso639_3": three,
        "script": script,
        "iso639_1": short,
        "macro": macro if macro != three else "",
        "name": name,
        "script_name": script_name.rstrip(")"),
        "nllb": nllb,
        "m2m100": _m2m_code(short, three, m2m100),
        "lingua": (lingua.get(three) or lingua.get(macro, "")) if is_primary else "",
    }


def _m2m_code(short: str, three: str, m2m100: set) -> str:
    fixed = {v: k for k, v in M2M_FIXES.items()}
    for candidate in (short, three, fixed.get(three, "")):
        if candidate and candidate in m2m100:
            return candidate
    return ""


if __name__ == "__main__":
    main()
