"""Code-mixing metrics from per-token language labels.

Labels name each token's language (any strings: ``en``, ``hi``, ``lang1`` ...); ``other`` and
``univ`` (any case) mark language-independent tokens (punctuation, numbers, names, emoji), which
count towards ``n`` but belong to no language. With ``w_i`` the tokens of language ``i``, ``u`` the
language-independent ones, ``n`` all of them, ``p_j`` language ``j``'s share of the language tokens
and ``k`` the number of languages present:

- CMI (Das and Gambäck 2014): ``100 * (1 - max_i w_i / (n - u))`` when ``n > u``, else 0;
- M-index (Barnett et al. 2000): ``(1 - sum p_j^2) / ((k - 1) * sum p_j^2)``; 0 when ``k < 2``;
- I-index (Guzmán et al. 2017): switch points over the ``n_lang - 1`` places between consecutive
  language tokens (language-independent tokens skipped); 0 for fewer than two language tokens;
- language entropy: ``-sum p_j log2 p_j``;
- burstiness (Goh and Barabási 2008): ``(sigma - mu) / (sigma + mu)`` over the lengths of monolingual
  runs; 0 for fewer than two runs (undefined) or when both are 0;
- switch points: how many times the language changes between consecutive language tokens.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass

NEUTRAL = frozenset({"other", "univ"})


@dataclass(frozen=True)
class CodeMixing:
    tokens: int
    language_tokens: int
    languages: int
    cmi: float
    m_index: float
    i_index: float
    entropy: float
    burstiness: float
    switch_points: int

    def as_dict(self) -> dict:
        return asdict(self)


def language_runs(labels: list[str]) -> list[tuple[str, int]]:
    """``(language, length)`` of each monolingual run of language tokens (neutral tokens skipped)."""
    runs: list[tuple[str, int]] = []
    for label in labels:
        if label.lower() in NEUTRAL:
            continue
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    return runs


def measure(labels: list[str]) -> CodeMixing:
    """Every metric for one utterance's token labels."""
    n = len(labels)
    counts = Counter(label for label in labels if label.lower() not in NEUTRAL)
    language_tokens = sum(counts.values())
    k = len(counts)
    cmi = 100 * (1 - max(counts.values()) / language_tokens) if language_tokens else 0.0
    shares = [c / language_tokens for c in counts.values()] if language_tokens else []
    squares = sum(p * p for p in shares)
    m_index = (1 - squares) / ((k - 1) * squares) if k >= 2 else 0.0
    runs = language_runs(labels)
    switches = max(len(runs) - 1, 0)
    i_index = switches / (language_tokens - 1) if language_tokens >= 2 else 0.0
    entropy = -sum(p * math.log2(p) for p in shares) if shares else 0.0
    return CodeMixing(
        tokens=n,
        language_tokens=language_tokens,
        languages=k,
        cmi=cmi,
        m_index=m_index,
        i_index=i_index,
        entropy=entropy + 0.0,
        burstiness=burstiness([length for _, length in runs]),
        switch_points=switches,
    )


def burstiness(lengths: list[int]) -> float:
    if len(lengths) < 2:
        return 0.0
    mean = sum(lengths) / len(lengths)
    deviation = math.sqrt(sum((x - mean) ** 2 for x in lengths) / len(lengths))
    return (deviation - mean) / (deviation + mean) if deviation + mean else 0.0


def measure_corpus(utterances: list[list[str]]) -> CodeMixing:
    """Corpus-level metrics: M-index, I-index and entropy over all tokens; CMI averaged over utterances."""
    per = [measure(labels) for labels in utterances]
    labels = [label for utterance in utterances for label in utterance]
    whole = measure(labels)
    switches = sum(m.switch_points for m in per)
    places = sum(max(m.language_tokens - 1, 0) for m in per)
    lengths = [length for utterance in utterances for _, length in language_runs(utterance)]
    return CodeMixing(
        tokens=whole.tokens,
        language_tokens=whole.language_tokens,
        languages=whole.languages,
        cmi=sum(m.cmi for m in per) / len(per) if per else 0.0,
        m_index=whole.m_index,
        i_index=switches / places if places else 0.0,
        entropy=whole.entropy,
        burstiness=burstiness(lengths),
        switch_points=switches,
    )
