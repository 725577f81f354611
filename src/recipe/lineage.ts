/**
 * The lineage of a recipe as a Mermaid flowchart: input models → stages → the output, each stage
 * labelled with its merge method. Rendered by GitHub and the Hub in Markdown; pure, no I/O.
 */
import { referencedModels, stageGraph } from './stages.js';
import type { Recipe } from './types.js';

function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

/** `flowchart LR` text (without the ```mermaid fence). */
export function lineageMermaid(docs: readonly Recipe[], outputName = 'output'): string {
  const graph = stageGraph(docs);
  const stageNames = new Set(docs.map((d) => d.name).filter((n): n is string => n !== undefined));
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  const nodeId = (key: string, text: string, shape: 'model' | 'stage'): string => {
    let id = ids.get(key);
    if (id === undefined) {
      id = `n${ids.size}`;
      ids.set(key, id);
      lines.push(shape === 'model' ? `  ${id}[${label(text)}]` : `  ${id}([${label(text)}])`);
    }
    return id;
  };
  const stageNode = (d: Recipe): string => nodeId(`stage:${d === graph.final ? '' : d.name}`,
    `${d === graph.final ? outputName : d.name} · ${d.mergeMethod}`, 'stage');
  for (const d of graph.order) {
    const to = stageNode(d);
    for (const ref of referencedModels(d)) {
      const from = stageNames.has(ref.path) && ref.revision === undefined
        ? stageNode(docs.find((x) => x.name === ref.path)!)
        : nodeId(`model:${ref.key}`, ref.key, 'model');
      lines.push(`  ${from} --> ${to}`);
    }
  }
  return lines.join('\n');
}
