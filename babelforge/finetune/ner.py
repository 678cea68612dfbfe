"""``babelforge train ner``: token classification on an NER output (XLM-R, mDeBERTa, any encoder).

Labels go on the first sub-word of each word (the others get -100, as do special tokens). Metrics are
seqeval's entity-level precision, recall and F1, overall, per label and per language, on every
held-out split; the best checkpoint by validation F1 is kept, with ``id2label`` in its config.
"""

from __future__ import annotations

from collections import defaultdict

from babelforge.errors import BabelforgeError
from babelforge.finetune.options import (
    TrainOptions,
    claim_run_folder,
    held_out,
    load_output,
    model_path,
    require_training,
    train_and_save,
    write_metrics,
)


def train_ner(options: TrainOptions) -> dict:
    """Train, keep the best checkpoint in ``options.output``, and return (and write) the metrics."""
    claim_run_folder(options.output, "ner")
    require_training()
    from transformers import (
        AutoModelForTokenClassification,
        AutoTokenizer,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    data = load_output(options.dataset, "ner")
    names = data["train"].features["ner_tags"].feature.names
    path = model_path(options.model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if not tokenizer.is_fast:
        raise BabelforgeError(f"{options.model!r} has no fast tokenizer: word alignment needs one (tokenizer.json)")
    longest = fitting_length(path, tokenizer, options.max_length)
    encoded = data.map(
        lambda batch: align_labels(tokenizer, batch, longest),
        batched=True,
        remove_columns=[c for c in data["train"].column_names if c != "language"],
    )
    model = AutoModelForTokenClassification.from_pretrained(
        path,
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
        ignore_mismatched_sizes=True,
    )
    evaluate_on = held_out(data)
    arguments = TrainingArguments(
        **options.arguments(
            eval_strategy="steps" if evaluate_on else "no",
            save_strategy="steps",
            load_best_model_at_end=bool(evaluate_on),
            metric_for_best_model="f1" if evaluate_on else None,
            greater_is_better=True if evaluate_on else None,
        )
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=encoded["train"].remove_columns("language"),
        eval_dataset=encoded[evaluate_on].remove_columns("language") if evaluate_on else None,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        compute_metrics=lambda p: seqeval_scores(p, names)["overall"],
        processing_class=tokenizer,
    )
    result, metrics = train_and_save(trainer, options, "ner")
    metrics |= {
        "labels": names,
        "train": {"loss": result.training_loss, "steps": result.global_step, "losses": _losses(trainer)},
        "options": options.record(),
    }
    for split in (s for s in ("validation", "test") if s in encoded):
        metrics[split] = evaluate_split(trainer, encoded[split], names)
    if trainer.is_world_process_zero():
        write_metrics(options.output, metrics)
    return metrics


def fitting_length(path: str, tokenizer, wanted: int) -> int:
    """The longest input the model takes: ``wanted``, capped by its position embeddings and tokenizer."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(path)
    positions = getattr(config, "max_position_embeddings", None) or wanted
    if "roberta" in getattr(config, "model_type", ""):
        positions -= 2  # RoBERTa-style models offset positions by the padding index
    return min(wanted, positions, tokenizer.model_max_length)


def align_labels(tokenizer, batch: dict, max_length: int) -> dict:
    """Tokenise words; the first sub-word of each word carries its tag, everything else -100."""
    encoded = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=max_length)
    labels = []
    for i, tags in enumerate(batch["ner_tags"]):
        previous, row = None, []
        for word in encoded.word_ids(i):
            row.append(tags[word] if word is not None and word != previous else -100)
            previous = word
        labels.append(row)
    encoded["labels"] = labels
    return encoded


def seqeval_scores(prediction, names: list[str]) -> dict:
    """seqeval precision, recall and F1 (overall and per label) from a Trainer's ``EvalPrediction``."""
    import numpy as np
    from seqeval.metrics import classification_report

    predicted = np.argmax(prediction.predictions, axis=-1)
    gold_tags, predicted_tags = [], []
    for gold_row, predicted_row in zip(prediction.label_ids, predicted, strict=True):
        keep = gold_row != -100
        gold_tags.append([names[t] for t in gold_row[keep]])
        predicted_tags.append([names[t] for t in predicted_row[keep]])
    report = classification_report(gold_tags, predicted_tags, output_dict=True, zero_division=0)
    overall = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0})
    per_label = {k: round(v["f1-score"], 4) for k, v in report.items() if not k.endswith(" avg")}
    return {
        "overall": {
            "precision": round(overall["precision"], 4),
            "recall": round(overall["recall"], 4),
            "f1": round(overall["f1-score"], 4),
        },
        "per_label": per_label,
    }


def evaluate_split(trainer, split, names: list[str]) -> dict:
    """Overall, per-label and per-language seqeval scores on one split."""
    scores = _scores(trainer, split.remove_columns("language"), names)
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, language in enumerate(split["language"]):
        by_language[language].append(i)
    if len(by_language) > 1:
        scores["per_language"] = {
            language: _scores(trainer, split.select(rows).remove_columns("language"), names)["overall"]
            for language, rows in sorted(by_language.items())
        }
    else:
        (language,) = by_language or {None: []}
        scores["per_language"] = {language: scores["overall"]} if language else {}
    return scores


def _scores(trainer, split, names: list[str]) -> dict:
    prediction = trainer.predict(split)
    return seqeval_scores(prediction, names)


def _losses(trainer) -> list[float]:
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]


def evaluate_tagger(
    model_dir: str, test_file: str, language: str, relabel: dict[str, str | None] | None = None
) -> dict:
    """seqeval scores of a trained tagger on a CoNLL file (``token TAG`` lines), e.g. MasakhaNER's test set.

    ``relabel`` maps gold labels the tagger never learned (``{"DATE": None}`` drops them to ``O``).
    """
    require_training()
    import numpy as np
    import torch
    from seqeval.metrics import classification_report
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from babelforge.projection.evaluate import read_gold
    from babelforge.spans import spans_to_tags, tokenize

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForTokenClassification.from_pretrained(model_dir).eval()
    names = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    longest = fitting_length(model_dir, tokenizer, 512)
    gold_tags, predicted_tags = [], []
    for text, spans in read_gold(test_file, "conll"):
        kept = [s for s in spans if (relabel or {}).get(s.label, s.label)]
        kept = [type(s)(s.start, s.end, (relabel or {}).get(s.label, s.label)) for s in kept]
        offsets = tokenize(text, kept)
        words = [text[a:b] for a, b in offsets]
        gold = spans_to_tags(kept, offsets, "BIO").tags
        encoded = tokenizer([words], is_split_into_words=True, truncation=True, max_length=longest, return_tensors="pt")
        with torch.inference_mode():
            logits = model(**encoded).logits[0].numpy()
        best = np.argmax(logits, axis=-1)
        predicted, previous = ["O"] * len(words), None
        for position, word in enumerate(encoded.word_ids(0)):
            if word is not None and word != previous:
                predicted[word] = names[best[position]]
            previous = word
        gold_tags.append(gold)
        predicted_tags.append(predicted)
    report = classification_report(gold_tags, predicted_tags, output_dict=True, zero_division=0)
    overall = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0})
    return {
        "language": language,
        "sentences": len(gold_tags),
        "precision": round(overall["precision"], 4),
        "recall": round(overall["recall"], 4),
        "f1": round(overall["f1-score"], 4),
        "per_label": {k: round(v["f1-score"], 4) for k, v in report.items() if not k.endswith(" avg")},
    }
