"""The bundled fine-tuner: ``babelforge train ner|sft|cpt`` on babelforge's own outputs (the ``train`` extra).

- :mod:`~babelforge.finetune.ner`: token classification, labels on the first sub-word, seqeval metrics
  overall, per label and per language;
- :mod:`~babelforge.finetune.sft`: TRL ``SFTTrainer`` on ``messages`` with LoRA/QLoRA, assistant-only
  loss verified by :mod:`~babelforge.finetune.mask_audit` before a step is taken;
- :mod:`~babelforge.finetune.cpt`: continued pre-training on interleaved ``text``, packed;
- :mod:`~babelforge.finetune.handoff`: configs and dataset registration for axolotl, LLaMA-Factory and TRL.

Every run resumes from its last checkpoint in the output folder and writes ``metrics.json``.
Nothing here is imported by ``import babelforge``.
"""
