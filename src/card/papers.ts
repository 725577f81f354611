/** Each merge method's pretty name and reference, as mergekit's model cards link them. */
export const METHOD_REFERENCES: Readonly<Record<string, { name: string; url?: string }>> = {
  linear: { name: 'Linear', url: 'https://arxiv.org/abs/2203.05482' },
  task_arithmetic: { name: 'Task Arithmetic', url: 'https://arxiv.org/abs/2212.04089' },
  ties: { name: 'TIES', url: 'https://arxiv.org/abs/2306.01708' },
  dare_ties: { name: 'DARE TIES', url: 'https://arxiv.org/abs/2311.03099' },
  dare_linear: { name: 'Linear DARE', url: 'https://arxiv.org/abs/2311.03099' },
  breadcrumbs: { name: 'Model Breadcrumbs', url: 'https://arxiv.org/abs/2312.06795' },
  breadcrumbs_ties: { name: 'Model Breadcrumbs with TIES', url: 'https://arxiv.org/abs/2312.06795' },
  della: { name: 'DELLA', url: 'https://arxiv.org/abs/2406.11617' },
  della_linear: { name: 'Linear DELLA', url: 'https://arxiv.org/abs/2406.11617' },
  model_stock: { name: 'Model Stock', url: 'https://arxiv.org/abs/2403.19522' },
  sce: { name: 'SCE', url: 'https://arxiv.org/abs/2408.07990' },
  karcher: { name: 'Karcher Mean', url: 'https://en.wikipedia.org/wiki/Karcher_mean' },
  slerp: { name: 'SLERP', url: 'https://en.wikipedia.org/wiki/Slerp' },
  nuslerp: { name: 'NuSLERP' },
  multislerp: { name: 'Multi-SLERP', url: 'https://goddard.blog/posts/multislerp-wow-what-a-cool-idea' },
  passthrough: { name: 'Passthrough' },
  arcee_fusion: { name: 'Arcee Fusion', url: 'https://arcee.ai' },
  nearswap: { name: 'NearSwap', url: 'https://huggingface.co/alchemonaut/QuartetAnemoi-70B-t0.0001' },
  ram: { name: 'Reinforced Agent Merging', url: 'https://arxiv.org/abs/2601.13572' },
  ramplus_tl: { name: 'Reinforced Agent Merging (RAM+)', url: 'https://arxiv.org/abs/2601.13572' },
};

/** `[TIES](https://arxiv.org/abs/2306.01708)`, or the plain name when there is no reference. */
export function methodLink(method: string): string {
  const r = METHOD_REFERENCES[method];
  if (!r) return `\`${method}\``;
  return r.url ? `[${r.name}](${r.url})` : r.name;
}
