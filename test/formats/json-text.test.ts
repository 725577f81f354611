/** Editing JSON text in place: only the edited keys change, every other byte stays. */
import { editJsonText, reconcileJsonText } from '../../src/formats/json-text.js';

const DONOR = `{
  "architectures": [
    "LlamaForCausalLM"
  ],
  "attention_dropout": 0.0,
  "num_hidden_layers": 4,
  "rms_norm_eps": 1e-05,
  "rope_parameters": {
    "rope_theta": 10000.0,
    "rope_type": "default"
  },
  "model_max_length": 1000000000000000019884624838656,
  "vocab_size": 320
}
`;

describe('editJsonText', () => {
  it('replaces a value and keeps every other literal as written', () => {
    const out = editJsonText(DONOR, [{ path: ['num_hidden_layers'], value: 8 }]);
    expect(out).toBe(DONOR.replace('"num_hidden_layers": 4', '"num_hidden_layers": 8'));
  });

  it('leaves a key whose value is unchanged byte for byte', () => {
    expect(editJsonText(DONOR, [{ path: ['rope_parameters', 'rope_theta'], value: 10000 }, { path: ['vocab_size'], value: 320 }])).toBe(DONOR);
  });

  it('appends a missing key at the end of its object with the document indent, creating parents', () => {
    const out = editJsonText(DONOR, [{ path: ['torch_dtype'], value: 'float32' }, { path: ['text_config', 'vocab_size'], value: 384 }]);
    expect(out).toBe(DONOR.replace('"vocab_size": 320\n}', '"vocab_size": 320,\n  "torch_dtype": "float32",\n  "text_config": {\n    "vocab_size": 384\n  }\n}'));
    expect(JSON.parse(out)).toMatchObject({ torch_dtype: 'float32', text_config: { vocab_size: 384 } });
  });

  it('edits nested keys and renders objects at their depth', () => {
    const out = editJsonText(DONOR, [{ path: ['rope_parameters', 'factor'], value: 2.5 }, { path: ['architectures'], value: ['X', 'Y'] }]);
    expect(out).toContain('"rope_type": "default",\n    "factor": 2.5\n  },');
    expect(out).toContain('"architectures": [\n    "X",\n    "Y"\n  ],');
    expect(out).toContain('1000000000000000019884624838656');
  });

  it('handles empty objects, one-line documents and strings with braces', () => {
    expect(editJsonText('{}', [{ path: ['a'], value: 1 }])).toBe('{\n  "a": 1\n}');
    expect(editJsonText('{"s": "}{\\"", "n": 1.0}', [{ path: ['m'], value: [1, 2] }])).toBe('{"s": "}{\\"", "n": 1.0, "m": [1,2]}');
  });
});

describe('reconcileJsonText', () => {
  it('rewrites only the keys whose parsed value differs', () => {
    const v = JSON.parse(DONOR) as Record<string, unknown>;
    v.num_hidden_layers = 6;
    (v.rope_parameters as Record<string, unknown>).rope_type = 'linear';
    const out = reconcileJsonText(DONOR, v);
    expect(out).toBe(DONOR.replace('"num_hidden_layers": 4', '"num_hidden_layers": 6').replace('"rope_type": "default"', '"rope_type": "linear"'));
  });
});
