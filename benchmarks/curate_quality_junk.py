"""Planted junk for ``curate_quality.py``: eight kinds of web debris, built from a language's own sentences.

Every kind but symbol soup carries words of the language (its sentences, cut or repeated, or its
words as menu items), so that a filter cannot tell junk from text by the language alone:

- ``boilerplate``: a headline of the language inside navigation, cookie, copyright and sharing lines;
- ``repeated_lines``: two or three sentences of the language, repeated line after line;
- ``machine``: log lines, hashes, tokens, key=value pairs and URLs, with a sentence of the language;
- ``menu``: a list of one- to three-word items (words of the language), bulleted or not;
- ``very_short``: the first one to six words of a sentence;
- ``symbol_soup``: runs of symbols, punctuation and numbers with a few words;
- ``truncated``: sentences of the language cut mid-way and ended with an ellipsis, one per line (a
  list of teasers);
- ``other_script``: a few sentences of the language drowned in made-up words of another script.
"""

from __future__ import annotations

import random
import re
import string

KINDS = ("boilerplate", "repeated_lines", "machine", "menu", "very_short", "symbol_soup", "truncated", "other_script")
SENTENCE = re.compile(r"[^.!?።]+[.!?።]")
BOILERPLATE = [
    "Home | News | Sport | Business | Entertainment | Contact us",
    "© 2023 All rights reserved.",
    "Privacy Policy · Terms of Use · Cookie Policy",
    "This website uses cookies to improve your experience. Accept",
    "Subscribe to our newsletter",
    "Follow us on Facebook, Twitter and Instagram",
    "Share this article: WhatsApp Facebook Twitter Email",
    "Related posts",
    "Powered by WordPress",
    "Skip to main content",
    "Log in | Register",
    "Advertisement",
    "Read more",
    "Previous article Next article",
]
SYMBOLS = "#$%&*+=<>|~^@!?/\\[](){}_-:;•·…§¶"
OTHER_SCRIPTS = {
    "Cyrillic": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "Han": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
    "Arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "Devanagari": "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह",
    "Greek": "αβγδεζηθικλμνξοπρστυφχψω",
}


def sentences_of(texts: list[str]) -> list[str]:
    """Sentences of at least four words, from the documents given."""
    found = [s.strip() for text in texts for s in SENTENCE.findall(text)]
    return [s for s in found if len(s.split()) >= 4]


def plant(kind: str, sentences: list[str], rng: random.Random) -> str:
    """One junk document of ``kind`` made with ``sentences`` of the language."""
    return MAKERS[kind](sentences, rng)


def _boilerplate(s: list[str], rng: random.Random) -> str:
    lines = rng.sample(BOILERPLATE, rng.randint(5, 9))
    lines.insert(rng.randint(1, 3), " ".join(rng.choice(s).split()[:8]))
    return "\n".join(lines)


def _repeated(s: list[str], rng: random.Random) -> str:
    chosen = rng.sample(s, rng.randint(2, 3))
    return "\n".join(rng.choice(chosen) for _ in range(rng.randint(8, 16)))


def _machine(s: list[str], rng: random.Random) -> str:
    def token(n: int) -> str:
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))

    makers = [
        lambda: (
            f"2023-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T{rng.randint(10, 23)}:{rng.randint(10, 59)}:07Z "
            f"ERROR worker-{rng.randint(1, 64)} {token(8)}: timeout after {rng.randint(100, 9999)}ms"
        ),
        lambda: f"session={token(24)}&uid={rng.randint(10**6, 10**9)}&ref={token(6)}",
        lambda: f"sha256:{''.join(rng.choice('0123456789abcdef') for _ in range(64))}",
        lambda: f"https://cdn.example.com/{token(10)}/{token(12)}.js?v={rng.randint(1, 999)}",
        lambda: " ".join(token(rng.randint(5, 14)) for _ in range(rng.randint(5, 12))),
    ]
    lines = [rng.choice(makers)() for _ in range(rng.randint(6, 14))]
    lines.insert(rng.randint(0, len(lines)), rng.choice(s))
    return "\n".join(lines)


def _menu(s: list[str], rng: random.Random) -> str:
    words = [w.strip(".,!?።\"'") for w in " ".join(rng.sample(s, min(len(s), 12))).split()]
    words = [w for w in words if w]
    bullet = rng.choice(["• ", "- ", "» ", "", "* "])
    items = [" ".join(rng.sample(words, rng.randint(1, 3))) for _ in range(rng.randint(10, 25))]
    return "\n".join(bullet + item.capitalize() for item in items)


def _very_short(s: list[str], rng: random.Random) -> str:
    return " ".join(rng.choice(s).split()[: rng.randint(1, 6)])


def _symbol_soup(s: list[str], rng: random.Random) -> str:
    words = rng.choice(s).split()
    runs = ["".join(rng.choice(SYMBOLS) for _ in range(rng.randint(2, 8))) for _ in range(rng.randint(25, 80))]
    runs += [str(rng.randint(0, 9999)) for _ in range(rng.randint(3, 10))] + rng.sample(words, min(3, len(words)))
    rng.shuffle(runs)
    return " ".join(runs)


def _truncated(s: list[str], rng: random.Random) -> str:
    lines = []
    for sentence in rng.sample(s, min(len(s), rng.randint(6, 12))):
        words = sentence.split()
        lines.append(" ".join(words[: rng.randint(3, max(3, len(words) - 1))]) + rng.choice(["...", "…", " ..."]))
    return "\n".join(lines)


def _other_script(s: list[str], rng: random.Random) -> str:
    letters = OTHER_SCRIPTS[rng.choice(sorted(OTHER_SCRIPTS))]
    own = rng.sample(s, min(len(s), rng.randint(1, 3)))
    size = sum(len(x) for x in own) * rng.uniform(1.5, 3.0)
    noise, length = [], 0
    while length < size:
        word = "".join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
        noise.append(word)
        length += len(word) + 1
    parts = [*own, *(" ".join(noise[i : i + 12]) + "." for i in range(0, len(noise), 12))]
    rng.shuffle(parts)
    return " ".join(parts)


MAKERS = {
    "boilerplate": _boilerplate, "repeated_lines": _repeated, "machine": _machine, "menu": _menu,
    "very_short": _very_short, "symbol_soup": _symbol_soup, "truncated": _truncated, "other_script": _other_script,
}  # fmt: skip
