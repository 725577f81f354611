/** YAML recipe → typed `Recipe`, model references, parameter evaluation. */
export type {
  ConditionalEntry,
  LoraRef,
  MergeopsOptions,
  ModelRef,
  ParamMap,
  ParamSetting,
  Recipe,
  SliceSpec,
  SourceSpec,
  TokenSourceSpec,
  TokenizerSpec,
} from './types.js';
export { parseRecipeText, paramKeyPos, RECIPE_KEYS, MERGEOPS_KEYS, CHAT_TEMPLATE_NAMES } from './parse.js';
export { parseModelRef, modelRefKey } from './model-ref.js';
export type { ModelRefObject, PathRev } from './model-ref.js';
export { evaluateSetting, evaluateGradient, filterMatches, resolveParameter, layerT } from './parameters.js';
export { didYouMean, editDistance } from './yaml-nodes.js';
