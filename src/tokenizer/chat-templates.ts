/**
 * Built-in chat templates, by the names mergekit's `chat_template:` accepts (its
 * `_data/chat_templates/*.jinja`), written here as data. Each renders a conversation of
 * `messages` ({role, content}) with `bos_token`, `eos_token` and `add_generation_prompt`.
 */
export const BUILTIN_CHAT_TEMPLATES: Readonly<Record<string, string>> = {
  chatml:
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  llama3:
    "{% for message in messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' %}"
    + '{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}'
    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  mistral:
    '{{ bos_token }}{% for message in messages %}'
    + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}"
    + "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  alpaca:
    "{% for message in messages %}{% if message['role'] == 'system' %}{{ message['content'] | trim }}{{ '\\n\\n' }}"
    + "{% elif message['role'] == 'user' %}{{ '### Instruction:\\n' + (message['content'] | trim) + '\\n\\n' }}"
    + "{% elif message['role'] == 'user_context' %}{{ '### Input:\\n' + (message['content'] | trim) + '\\n\\n' }}"
    + "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + (message['content'] | trim) + eos_token + '\\n\\n' }}{% endif %}{% endfor %}"
    + "{% if add_generation_prompt and messages[-1]['role'] != 'assistant' %}{{ '### Response:\\n' }}{% endif %}",
  exaone:
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}{{ '[|system|][|endofturn|]\\n' }}{% endif %}"
    + "{{ '[|' + message['role'] + '|]' + message['content'] }}"
    + "{% if message['role'] == 'user' %}{{ '\\n' }}{% else %}{{ '[|endofturn|]\\n' }}{% endif %}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}",
};
