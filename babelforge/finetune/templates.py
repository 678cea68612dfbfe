"""Chat templates babelforge can give a model that has none, with the tags assistant-only loss needs.

Transformers marks the tokens a model must learn with ``{% generation %}`` ... ``{% endgeneration %}``
in the chat template; TRL's ``assistant_only_loss`` trains exactly those. The end-of-turn token sits
inside the tags: a model that never trains on it never learns to stop.
"""

CHATML = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' }}"
    "{%- if message['role'] == 'assistant' %}"
    "{% generation %}{{- message['content'] + '<|im_end|>' }}{% endgeneration %}{{- '\\n' }}"
    "{%- else %}"
    "{{- message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)
#: End-of-turn marker of :data:`CHATML`.
CHATML_END = "<|im_end|>"

TEMPLATES = {"chatml": (CHATML, CHATML_END)}
