/** compare_inputs with Hub models (the test Hub on 127.0.0.1): each input read at the merge's commit, converted, checked. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEvalReport } from '../../src/eval/report.js';
import { TestHub } from '../servers/hub-server.js';
import { runCliAsync } from '../support/cli.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const ORG = 'mergeops-test';
let hub: TestHub;
const t = tempDir('mergeops-eval-hub-');

beforeAll(async () => {
  hub = await TestHub.start();
  for (const m of ['base', 'add', 'rev']) hub.addFolder(`${ORG}/${m}`, join(EXAMPLE_MODELS, m));
});
afterAll(async () => {
  await hub.close();
  t.cleanup();
});

test('Hub inputs are compared side by side with the merge, and nothing of them stays behind', async () => {
  for (const task of ['add', 'rev']) {
    const lines = readFileSync(join(EXAMPLE_MODELS, '..', 'evals', `${task}.jsonl`), 'utf8').split('\n').slice(0, 10);
    writeFileSync(join(t.dir, `${task}.jsonl`), lines.join('\n') + '\n');
  }
  const recipe = writeRecipe(t.dir, 'hub.yml', `merge_method: task_arithmetic
base_model: ${ORG}/base
models:
  - model: ${ORG}/add
    parameters: {weight: 1.0}
  - model: ${ORG}/rev
    parameters: {weight: 1.0}
dtype: bfloat16
mergeops:
  quantize: [Q8_0]
  eval:
    tasks: [{name: add, file: add.jsonl, max_tokens: 8}, {name: rev, file: rev.jsonl, max_tokens: 8}]
    compare_inputs: true
`);
  const out = join(t.dir, 'out');
  const cache = join(t.dir, 'cache');
  const r = await runCliAsync(['run', recipe, '--out', out, '--cache-dir', cache, '--source-mode', 'stream'],
    { env: { HF_ENDPOINT: hub.url, HF_TOKEN: 'hf_test_token' } });
  expect(r.stderr).not.toMatch(/error/);
  expect(r.status).toBe(0);
  const report = readEvalReport(out)!;
  expect(report.notes).toBeUndefined();
  expect(report.models.map((m) => m.label)).toEqual(['out', `${ORG}/add`, `${ORG}/rev`, `${ORG}/base`]);
  const acc = (task: string, label: string): number => {
    const c = report.checks.find((x) => x.kind === 'task' && x.name === task)!;
    const id = report.models.find((m) => m.label === label)!.id;
    return c.kind === 'task' ? c.results[id].accuracy : NaN;
  };
  expect(acc('add', `${ORG}/add`)).toBeGreaterThanOrEqual(0.9);
  expect(acc('rev', `${ORG}/rev`)).toBeGreaterThanOrEqual(0.9);
  expect(acc('add', `${ORG}/base`)).toBe(0);
  expect(readdirSync(out).filter((f) => f.endsWith('.gguf'))).toEqual(['out-Q8_0.gguf']);
});
