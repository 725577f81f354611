/** Chat templates: built-ins render, `auto` picks the most common, bad Jinja is reported with its position. */
import { BUILTIN_CHAT_TEMPLATES } from '../../src/tokenizer/chat-templates.js';
import { mostCommonTemplate, resolveChatTemplate, tagProblem, validateChatTemplate } from '../../src/tokenizer/chat-template.js';

describe('chat templates', () => {
  it.each(['chatml', 'llama3', 'mistral', 'alpaca', 'exaone'])('built-in %s renders the sample conversation', (name) => {
    const r = validateChatTemplate(resolveChatTemplate(name, [])!, { bos: '<BOS>', eos: '<EOS>' });
    if (!r.ok) throw new Error(r.message);
    expect(r.rendered).toContain('What is 2 + 2?');
    expect(r.rendered).toContain('And 3 + 3?');
  });

  it('renders each built-in in its own format', () => {
    const render = (n: string): string => {
      const r = validateChatTemplate(BUILTIN_CHAT_TEMPLATES[n], { bos: '<BOS>', eos: '<EOS>' });
      if (!r.ok) throw new Error(r.message);
      return r.rendered;
    };
    expect(render('chatml')).toBe('<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n4.<|im_end|>\n<|im_start|>user\nAnd 3 + 3?<|im_end|>\n<|im_start|>assistant\n');
    expect(render('llama3').startsWith('<BOS><|start_header_id|>user<|end_header_id|>\n\nWhat is 2 + 2?<|eot_id|>')).toBe(true);
    expect(render('llama3').endsWith('<|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
    expect(render('mistral')).toBe('<BOS>[INST] What is 2 + 2? [/INST]4.<EOS>[INST] And 3 + 3? [/INST]');
    expect(render('alpaca')).toBe('### Instruction:\nWhat is 2 + 2?\n\n### Response:\n4.<EOS>\n\n### Instruction:\nAnd 3 + 3?\n\n### Response:\n');
  });

  it('auto takes the most common template, ignoring surrounding whitespace', () => {
    const files = [
      { tokenizerConfig: { chat_template: 'A {{ messages }}' } },
      { tokenizerConfig: { chat_template: 'B {{ messages }}' } },
      { chatTemplateJinja: 'B {{ messages }}\n' },
      {},
    ];
    expect(mostCommonTemplate(files)).toBe('B {{ messages }}');
    expect(resolveChatTemplate('auto', [{}, {}])).toBeUndefined();
    expect(resolveChatTemplate('auto', [{ tokenizerConfig: { chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] } }])).toBe('D');
  });

  it('reports unclosed and mismatched tags with their line and column', () => {
    expect(tagProblem('{% for m in messages %}\n{{ m.content }\n{% endfor %}')).toMatchObject({ line: 2, col: 1, message: expect.stringContaining('never closed') });
    expect(tagProblem('{% for m in messages %}\n  {{ m.content }}\n  {% endif %}')).toMatchObject({ line: 3, col: 3, message: expect.stringContaining('needs `{% endfor %}`') });
    expect(tagProblem('{% if x %}{% for m in messages %}{{ m }}{% endfor %}')).toMatchObject({ line: 1, col: 1, message: expect.stringContaining('`{% if %}` is never closed') });
    expect(tagProblem(BUILTIN_CHAT_TEMPLATES.mistral)).toBeUndefined();
  });

  it('rejects templates that fail to render', () => {
    const bad = validateChatTemplate("{% for m in messages %}{{ m.content | no_such_filter }}{% endfor %}");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toMatch(/rendering a sample conversation .* fails: .*no_such_filter/);
    const raises = validateChatTemplate("{{ raise_exception('system message required') }}{{ messages }}");
    expect(!raises.ok && raises.message).toContain('system message required');
  });

  it('accepts any template that renders: a literal one (mergekit\'s test), one that ignores the messages with a warning', () => {
    const literal = validateChatTemplate("{{messages[0]['content']}}");
    expect(literal).toMatchObject({ ok: true, rendered: 'What is 2 + 2?' });
    expect(literal.ok && literal.warning).toBeUndefined();
    const ignores = validateChatTemplate('{% if messages %}hello{% endif %}');
    expect(ignores).toMatchObject({ ok: true, rendered: 'hello' });
    expect(ignores.ok && ignores.warning).toContain('none of the messages');
  });
});
