/**
 * The model card, rendered from data: a two-stage recipe over Hub models (the test Hub, real HTTP)
 * with a gradient parameter, an eval report and GGUF files. The whole card is compared with the
 * committed `two-stage-card.md` (UPDATE_CARD_SNAPSHOT=1 rewrites it); its front matter parses as
 * YAML with every field; its Markdown renders to HTML with the Mermaid block and the chart image.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import { parse as parseYaml } from 'yaml';
import { gatherCardData } from '../../src/card/gather.js';
import { chartFiles } from '../../src/card/chart.js';
import type { CardData } from '../../src/card/data.js';
import { renderCard, type CardContext } from '../../src/card/render.js';
import type { EvalReport } from '../../src/eval/report.js';
import { prepareRecipeFile } from '../../src/pipeline.js';
import { TestHub } from '../servers/hub-server.js';
import { EXAMPLE_MODELS, tempDir, writeRecipe } from '../support/tmp.js';

const SNAPSHOT = fileURLToPath(new URL('../../../test/card/two-stage-card.md', import.meta.url));
const TOKEN = 'hf_CardToken12345';
let hub: TestHub;
let tmp: { dir: string; cleanup: () => void };

const license = (l: string): Buffer => Buffer.from(`---\nlicense: ${l}\n---\n# a model\n`);

beforeAll(async () => {
  hub = await TestHub.start();
  hub.addToken(TOKEN, { user: 'tester', role: 'write' });
  for (const m of ['base', 'add', 'rev']) {
    hub.addFolder(`org/${m}`, join(EXAMPLE_MODELS, m));
    hub.commitFiles(`org/${m}`, new Map([['README.md', license('apache-2.0')]]));
  }
  hub.addFolder('other/rev-mit', join(EXAMPLE_MODELS, 'rev'));
  hub.commitFiles('other/rev-mit', new Map([['README.md', license('mit')]]));
  tmp = tempDir('mergeops-card-');
});
afterAll(async () => { await hub.close(); tmp.cleanup(); });

const TWO_STAGE = `# Stage 1 blends the two skills with a per-layer gradient; the final stage adds them back onto the base.
name: blend
merge_method: linear
models:
  - model: org/add
    parameters:
      weight: [0.2, 0.8]
  - model: org/rev
    parameters:
      weight: 0.5
dtype: bfloat16
---
merge_method: task_arithmetic
base_model: org/base
models:
  - model: blend
    parameters:
      weight: 1.0
parameters:
  lambda: 1.0
dtype: bfloat16
mergeops:
  quantize: [Q4_K_M, Q8_0]
`;

const ENV = {
  GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'org/merges', GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567', GITHUB_RUN_ID: '4242',
};

async function cardData(recipeText: string, licenseRequired: boolean): Promise<CardData> {
  const file = writeRecipe(tmp.dir, 'two-stage.yml', recipeText);
  const hubOpts = { hubUrl: hub.url, accessToken: TOKEN };
  const p = await prepareRecipeFile(file, { hub: hubOpts, lockPath: join(tmp.dir, 'none.lock') });
  return gatherCardData({
    recipeFile: file, plan: p.plan, models: p.models, hub: hubOpts, mergeopsVersion: '0.1.0', licenseRequired, env: ENV,
  });
}

const EVAL: EvalReport = {
  version: 1, ran: true, versions: { mergeops: '0.1.0', llamaCpp: 'b6000', nodeLlamaCpp: '3.22.1' },
  gguf: { file: 'merge-Q8_0.gguf', type: 'Q8_0' },
  models: [{ id: 'merge', label: 'merge', role: 'merge' }, { id: 'base', label: 'org/base', role: 'input' }],
  checks: [
    { kind: 'task', name: 'add', n: 50, results: { merge: { accuracy: 0.56, correct: 28 }, base: { accuracy: 0, correct: 0 } } },
    { kind: 'perplexity', name: 'wiki', tokens: 512, results: { merge: { perplexity: 12.5 }, base: { perplexity: 14.25 } } },
  ],
  summary: { merge: { passRate: 0.56 }, base: { passRate: 0 } },
  gate: { passed: true, failures: [] }, seconds: 3.2,
};

const FILES = [
  { name: 'merge-Q4_K_M.gguf', bytes: 1_020_000 }, { name: 'merge-Q8_0.gguf', bytes: 1_870_000 },
];

/** The pinned commits vary from run to run of the test Hub: named by repo instead. */
function normalized(text: string, data: CardData): string {
  let t = text;
  for (const i of data.inputs) if (i.sha) t = t.split(i.sha).join(`<sha of ${i.repo}>`).split(i.sha.slice(0, 7)).join(`<sha7 of ${i.repo}>`);
  return t;
}

function frontMatter(card: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
  expect(m).not.toBeNull();
  return parseYaml(m![1]) as Record<string, unknown>;
}

describe('model card', () => {
  it('a two-stage recipe: the whole card, its front matter, its HTML', async () => {
    const data = await cardData(TWO_STAGE, true);
    expect(data.license).toBe('apache-2.0'); // every input declares it
    const ctx: CardContext = { kind: 'model', name: 'merge', modelRepo: 'org/merge', ggufRepo: 'org/merge-GGUF', files: [], eval: EVAL, hubUrl: 'https://huggingface.co' };
    const raw = renderCard(data, ctx);
    const card = normalized(raw, data);
    if (process.env.UPDATE_CARD_SNAPSHOT === '1') writeFileSync(SNAPSHOT, card);
    expect(existsSync(SNAPSHOT)).toBe(true);
    expect(card).toBe(readFileSync(SNAPSHOT, 'utf8'));

    const fm = frontMatter(card);
    expect(fm.base_model).toEqual(['org/add', 'org/rev', 'org/base']);
    expect(fm.base_model_relation).toBe('merge');
    expect(fm.library_name).toBe('transformers');
    expect(fm.pipeline_tag).toBe('text-generation');
    expect(fm.tags).toEqual(['merge', 'mergekit', 'mergeops', 'linear', 'task_arithmetic']);
    expect(fm.license).toBe('apache-2.0');
    expect(fm['model-index']).toEqual([{
      name: 'merge',
      results: [
        { task: { type: 'text-generation', name: 'add' }, dataset: { name: 'add', type: 'mergeops-task-add' }, metrics: [{ type: 'accuracy', name: 'accuracy (n=50)', value: 0.56 }] },
        { task: { type: 'text-generation', name: 'perplexity' }, dataset: { name: 'wiki', type: 'mergeops-perplexity-wiki' }, metrics: [{ type: 'perplexity', name: 'perplexity (512 tokens)', value: 12.5 }] },
      ],
    }]);

    // Pinned commits, provenance, recipe.
    for (const i of data.inputs) expect(raw).toContain(`https://huggingface.co/${i.repo}/tree/${i.sha}`);
    expect(card).toContain('https://github.com/org/merges/actions/runs/4242');
    expect(card).toContain('https://github.com/org/merges/commit/0123456789abcdef0123456789abcdef01234567');

    const html = await marked.parse(raw.replace(/^---\n[\s\S]*?\n---\n/, ''));
    expect(html).toMatch(/<pre><code class="language-mermaid">graph LR\n[\s\S]*n4 --&gt;\|base\| n3\n  n0 --&gt; n3\n<\/code><\/pre>/);
    expect(html).toContain('<img src="mergeops-gradient-1.svg" alt="weight — stage blend, org/add">');
    expect(html).toMatch(/<table>[\s\S]*<th>check<\/th>[\s\S]*<td>task add \(n=50\)<\/td>/);
    expect(html).toContain('<a href="https://arxiv.org/abs/2212.04089">Task Arithmetic</a>');
    // The chart is an SVG with one point per layer of the output.
    const charts = chartFiles(data);
    expect(charts.map((c) => c.name)).toEqual(['mergeops-gradient-1.svg']);
    expect((charts[0].svg.match(/<circle /g) ?? []).length).toBe(data.layers);
    expect(charts[0].svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*>[\s\S]*<polyline [\s\S]*<\/svg>\n$/);
  });

  it('the GGUF repo card: a quantization of the merged repo, a files table with bits per weight, how to run it', async () => {
    const data = await cardData(TWO_STAGE, true);
    const card = renderCard(data, { kind: 'gguf', name: 'merge-GGUF', modelRepo: 'org/merge', ggufRepo: 'org/merge-GGUF', files: FILES });
    const fm = frontMatter(card);
    expect(fm).toMatchObject({ base_model: 'org/merge', base_model_relation: 'quantized', pipeline_tag: 'text-generation', license: 'apache-2.0' });
    expect(fm.library_name).toBeUndefined();
    expect(fm.tags).toEqual(expect.arrayContaining(['gguf', 'llama-cpp', 'merge', 'mergekit', 'mergeops']));
    const bpw = (FILES[0].bytes * 8 / data.parameters).toFixed(2);
    expect(card).toContain(`| \`merge-Q4_K_M.gguf\` | Q4_K_M | 1.02 MB | ${bpw} | recommended |`);
    expect(card).toContain('llama-cli -hf org/merge-GGUF:Q4_K_M');
    expect(card).toContain('ollama run hf.co/org/merge-GGUF:Q4_K_M');
    expect(card).toContain('lms get org/merge-GGUF');
    expect(card).not.toContain('AutoModelForCausalLM');
  });

  it('inputs whose licenses disagree need mergeops.license, with an error naming them', async () => {
    const text = TWO_STAGE.replace('model: org/rev', 'model: other/rev-mit');
    await expect(cardData(text, true)).rejects.toThrow(/licenses disagree \(org\/add: apache-2\.0; other\/rev-mit: mit; org\/base: apache-2\.0\)/);
    const unpublished = await cardData(text, false);
    expect(unpublished.license).toBeUndefined();
    const set = await cardData(text.replace('quantize: [Q4_K_M, Q8_0]', 'quantize: [Q4_K_M, Q8_0]\n  license: other'), true);
    expect(set.license).toBe('other');
    await expect(cardData(text.replace('quantize: [Q4_K_M, Q8_0]', 'quantize: [Q4_K_M, Q8_0]\n  license: [mit]'), true)).rejects.toThrow(/`license`/);
  });
});
