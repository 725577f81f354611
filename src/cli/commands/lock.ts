/** `mergeops lock <recipe.yml>`: pin every model to a commit in mergeops.lock. */
import { lockRecipeFile } from '../../pipeline.js';
import { defineCommand } from '../command.js';
import { onePositional, prepareOptions, RECIPE_OPTIONS, RECIPE_OPTIONS_HELP } from '../common.js';

export const lockCommand = defineCommand({
  name: 'lock',
  summary: 'pin every model of a recipe to a commit in mergeops.lock',
  help: `Usage: mergeops lock <recipe.yml> [options]

Resolves every Hub model (and LoRA adapter) of the recipe afresh and writes the commit of each, with
a hash of the recipe, to the lockfile. \`mergeops run\` then merges exactly those commits; with --frozen
it fails when the recipe or upstream has moved.

Options:
${RECIPE_OPTIONS_HELP}`,
  options: RECIPE_OPTIONS,
  async run({ values, positionals }, io) {
    const recipe = onePositional(positionals, 'lock', 'a recipe file', 'recipe.yml');
    const { lockPath, lock } = await lockRecipeFile(recipe, prepareOptions(values, io));
    io.out(`wrote ${lockPath}: ${Object.keys(lock.models).length} model(s) pinned\n`);
    for (const [k, m] of Object.entries(lock.models)) {
      const lora = m.lora ? `${m.sha ?? m.path ? ' ' : ''}adapter ${m.lora.sha ?? m.lora.path ?? ''}` : '';
      io.out(`  ${k.padEnd(40)} ${m.sha ?? m.path ?? ''}${lora}\n`);
    }
    return 0;
  },
});
