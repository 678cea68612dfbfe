"""Preference rows from elsewhere (a Hub dataset) in babelforge's layout, so that they mix with ``preference`` outputs.

A Hub preference set holds its pairs in one of TRL's layouts: strings (``prompt``, ``chosen``,
``rejected``), conversations, or whole conversations with an implicit prompt. Each row is read the way a
``jsonl``/``parquet``/``hf`` source reads it (:func:`babelforge.builders.readers.preference.preference_metadata`)
and written as a ``preference`` output's row: the prompt's turns, each side as a one-message list, and
the plain strings beside them. A row that is no pair is an error naming the component and the row.
"""

from __future__ import annotations

from babelforge.errors import BabelforgeError

#: The columns a babelforge preference row has that a Hub set may lack.
LAYOUT = ("prompt", "chosen", "rejected", "prompt_text", "chosen_text", "rejected_text", "system")


def needs_conversion(table) -> bool:
    """Whether ``table``'s pairs are not in babelforge's layout (no plain strings beside the messages)."""
    return not {"prompt_text", "chosen_text", "rejected_text"} <= set(table.column_names)


def as_babelforge_pairs(table, name: str):
    """``table`` with its pairs rewritten in babelforge's layout (see the module docstring).

    Raises:
        BabelforgeError: a row that is no preference pair, named by its number.
    """
    import pyarrow as pa

    from babelforge.builders.readers.fields import FieldError
    from babelforge.builders.readers.preference import preference_metadata
    from babelforge.sources import FieldMap

    has_prompt = "prompt" in table.column_names
    fields = FieldMap(prompt="prompt" if has_prompt else None, chosen="chosen", rejected="rejected")
    rows = table.select([c for c in ("prompt", "chosen", "rejected") if c in table.column_names]).to_pylist()
    columns: dict[str, list] = {c: [] for c in LAYOUT}
    for number, row in enumerate(rows, 1):
        try:
            pair = preference_metadata(row, fields)
        except FieldError as error:
            raise BabelforgeError(f"{name}: row {number} is no preference pair: {error}") from None
        users = [m["content"] for m in pair["prompt"] if m["role"] == "user"]
        columns["prompt"].append(pair["prompt"])
        columns["prompt_text"].append(users[-1])
        columns["system"].append(next((m["content"] for m in pair["prompt"] if m["role"] == "system"), None))
        for side in ("chosen", "rejected"):
            columns[side].append([{"role": "assistant", "content": pair[side]}])
            columns[f"{side}_text"].append(pair[side])
    table = table.drop_columns([c for c in LAYOUT if c in table.column_names])
    for column, values in columns.items():
        table = table.append_column(column, pa.array(values))
    return table
