/**
 * Checks a parsed recipe against its merge method before any model is read: the method exists;
 * every parameter name is one the method declares, and every value written passes the method's
 * checks; every `mergeops:` key is a recipe-wide key or one of the method's own options, with an
 * allowed value; every `quantize` type exists. Errors point at the key or value that is wrong
 * (file:line:col) with a did-you-mean. Pure: the method registry and quant table are data.
 */
import { RecipeError, type SourcePos } from '../errors.js';
import { DEFAULT_SEED } from '../methods/rng.js';
import {
  allParameterNames, getMethod, MERGEKIT_METHODS_PENDING, methodNames, optionOwners, parameterOwners,
} from '../methods/registry.js';
import type { MergeMethod, MethodOptions, OptionDef, OptionValue, ParamDef } from '../methods/types.js';
import { FILE_TYPES, parseFileType } from '../quant/select.js';
import { didYouMean, MERGEOPS_KEYS, paramKeyPos } from '../recipe/index.js';
import type { ParamMap, ParamSetting, Recipe } from '../recipe/types.js';

export interface CheckedRecipe {
  method: MergeMethod;
  /** The `mergeops:` options the method sees: the seed and its own options, set or defaulted. */
  options: MethodOptions;
  /** Warnings: parameters of other methods, which the method ignores. */
  notes: string[];
}

function fail(recipe: Recipe, pos: SourcePos, message: string, hint: string): never {
  throw new RecipeError(message, hint, pos, recipe.lines[pos.line - 1]);
}

const list = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

export function lookupMethod(recipe: Recipe): MergeMethod {
  const m = getMethod(recipe.mergeMethod);
  if (m) return m;
  const pending = MERGEKIT_METHODS_PENDING.includes(recipe.mergeMethod);
  const guess = pending ? undefined : didYouMean(recipe.mergeMethod, [...methodNames(), ...MERGEKIT_METHODS_PENDING]);
  return fail(recipe, recipe.mergeMethodPos,
    pending
      ? `merge method \`${recipe.mergeMethod}\` is not implemented yet`
      : `unknown merge method \`${recipe.mergeMethod}\`${guess ? `; did you mean \`${guess}\`?` : ''}`,
    `available methods: ${methodNames().join(', ')}`);
}

/** Every `parameters:` map of the recipe: top level, per slice, per model or slice source. */
function paramMaps(recipe: Recipe): ParamMap[] {
  const maps = [recipe.parameters];
  for (const m of recipe.models ?? []) maps.push(m.parameters);
  for (const s of recipe.slices ?? []) {
    maps.push(s.parameters);
    for (const src of s.sources) maps.push(src.parameters);
  }
  return maps;
}

/** The numbers a setting writes, each with the position to blame (gradients interpolate between theirs). */
function writtenValues(s: ParamSetting): { value: number; pos: SourcePos }[] {
  if (s.kind === 'scalar') return [{ value: s.value, pos: s.pos }];
  if (s.kind === 'gradient') return s.values.map((value) => ({ value, pos: s.pos }));
  return s.entries.flatMap((e) => (Array.isArray(e.value) ? e.value : [e.value]).map((value) => ({ value, pos: e.pos })));
}

function checkParameters(recipe: Recipe, method: MergeMethod, notes: string[]): void {
  const defs = new Map<string, ParamDef>([...method.globalParams, ...method.perModelParams].map((p) => [p.name, p]));
  const own = [...defs.keys()];
  const ownList = own.length > 0 ? `${method.name}'s parameters are ${list(own)}` : `${method.name} takes no parameters`;
  for (const map of paramMaps(recipe)) {
    for (const [name, setting] of map) {
      const at = paramKeyPos(setting) ?? setting.pos;
      const def = defs.get(name);
      if (!def) {
        const owners = parameterOwners(name);
        if (owners.length > 0) {
          // mergekit ignores parameters its method does not declare, and its own tests pass
          // `weight` to slerp, karcher, model_stock, …: another method's parameter is a warning.
          const note = `\`${name}\` (line ${at.line}) is not a parameter of ${method.name} and is ignored, as mergekit does (it is a parameter of ${owners.join(', ')}; ${ownList})`;
          if (!notes.includes(note)) notes.push(note);
          continue;
        }
        const guess = didYouMean(name, own) ?? didYouMean(name, allParameterNames());
        fail(recipe, at, `unknown parameter \`${name}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, ownList);
      }
      if (!def.validate) continue;
      for (const { value, pos } of writtenValues(setting)) {
        const err = def.validate(value);
        if (err) fail(recipe, pos, `parameter \`${name}\`: ${err}`, `fix the value of \`${name}\``);
      }
    }
  }
}

function optionValue(recipe: Recipe, def: OptionDef, value: unknown, pos: SourcePos): OptionValue {
  if (def.kind === 'boolean') {
    if (typeof value !== 'boolean') fail(recipe, pos, `\`${def.key}\` must be true or false, found ${JSON.stringify(value)}`, def.doc);
    return value;
  }
  const hint = `write one of ${list(def.values)}, e.g. \`${def.key}: ${def.values[1] ?? def.values[0]}\` (${def.doc})`;
  if (typeof value !== 'string') fail(recipe, pos, `\`${def.key}\` must be one of ${list(def.values)}, found ${JSON.stringify(value)}`, hint);
  if (!def.values.includes(value)) {
    const guess = didYouMean(value, def.values);
    fail(recipe, pos, `unknown ${def.key} \`${value}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, hint);
  }
  return value;
}

function checkOptions(recipe: Recipe, method: MergeMethod): MethodOptions {
  const defs = method.options ?? [];
  const values: Record<string, OptionValue> = {};
  for (const d of defs) values[d.key] = d.default;
  const known = [...MERGEOPS_KEYS, ...defs.map((d) => d.key)];
  for (const [key, e] of recipe.mergeops.extra) {
    if ((MERGEOPS_KEYS as readonly string[]).includes(key)) continue;
    const def = defs.find((d) => d.key === key);
    if (def) {
      if (e.value !== null) values[key] = optionValue(recipe, def, e.value, e.pos);
      continue;
    }
    const owners = optionOwners(key);
    if (owners.methods.length > 0) {
      fail(recipe, e.keyPos, `\`mergeops.${key}\` is not an option of ${method.name}`,
        `it applies to ${owners.methods.join(', ')}; remove it, or change \`merge_method\``);
    }
    const guess = didYouMean(key, known);
    fail(recipe, e.keyPos, `unknown \`mergeops\` option \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`,
      `the options under \`mergeops:\` for ${method.name} are ${list(known)}`);
  }
  return { seed: recipe.mergeops.seed ?? DEFAULT_SEED, values };
}

function checkQuantize(recipe: Recipe): void {
  const types = recipe.mergeops.quantize ?? [];
  types.forEach((t, i) => {
    try {
      parseFileType(t);
    } catch {
      const pos = recipe.mergeops.quantizePos?.[i] ?? recipe.pos;
      const names = Object.keys(FILE_TYPES);
      const guess = didYouMean(t, names);
      fail(recipe, pos, `unknown GGUF type \`${t}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, `use one of ${names.join(', ')}`);
    }
  });
}

/** The recipe's method and options, or a RecipeError at the first key or value that is wrong. */
export function checkRecipe(recipe: Recipe): CheckedRecipe {
  const method = lookupMethod(recipe);
  const notes: string[] = [];
  checkParameters(recipe, method, notes);
  const options = checkOptions(recipe, method);
  checkQuantize(recipe);
  return { method, options, notes };
}
