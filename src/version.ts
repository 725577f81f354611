/** mergeops's version: printed by `--version`, recorded in eval.json and model cards. Keep in step with package.json. */
export const MERGEOPS_VERSION = '0.1.0';
