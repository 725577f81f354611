/** Gathers a run's card data: inputs with their pinned commits and declared licenses, provenance. */
import type { HubOptions } from '../hub/hub-options.js';
import { hubModelLicense, localModelLicense } from '../hub/model-license.js';
import type { ResolvedModel } from '../model/resolved.js';
import type { Plan } from '../plan/types.js';
import { buildCardData, type CardData, type CardInput } from './data.js';
import { gatherProvenance } from './provenance.js';

export interface GatherOptions {
  recipeFile: string;
  plan: Plan;
  models: readonly ResolvedModel[];
  hub: HubOptions;
  lockPath?: string;
  mergeopsVersion: string;
  /** Publishing: the license must be decided (else a recipe error naming the inputs). */
  licenseRequired: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function gatherCardData(o: GatherOptions): Promise<CardData> {
  const inputs: CardInput[] = [];
  for (const m of o.models) {
    const license = m.hub ? await hubModelLicense({ ...o.hub, repo: m.hub.repo, sha: m.hub.sha }) : localModelLicense(m.dir);
    inputs.push({
      key: m.key,
      ...(m.hub ? { repo: m.hub.repo, sha: m.hub.sha } : { path: m.ref.path }),
      ...(m.ref.lora ? { lora: m.loraHub ? { repo: m.loraHub.repo, sha: m.loraHub.sha } : { path: m.ref.lora.path } } : {}),
      license,
    });
  }
  const docs = [...(o.plan.stages ?? []).map((s) => s.plan.recipe), o.plan.recipe];
  const { provenance, recipeFile } = gatherProvenance(o.recipeFile, o.lockPath, o.mergeopsVersion, o.env);
  const parameters = o.plan.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  return buildCardData({
    recipeFile, docs, final: o.plan.recipe, inputs, outConfig: o.plan.outConfig, parameters, provenance, licenseRequired: o.licenseRequired,
  });
}
