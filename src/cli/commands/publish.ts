/** `mergeops publish <output folder> --to hf:ORG/NAME|dir:PATH`: publishes a finished run's output. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MergeopsError } from '../../errors.js';
import { checkPublishAccess } from '../../publish/access.js';
import { RunUploads } from '../../publish/run-uploads.js';
import { interruptedBy } from '../../interrupt.js';
import { publishOutput } from '../../publish/publish.js';
import { publishTargets } from '../../publish/target.js';
import { defineCommand } from '../command.js';
import { hubAndLog, onePositional } from '../common.js';
import { uploadProgressReporter } from '../progress.js';
import { printOutcomes } from '../run-publish.js';

export const publishCommand = defineCommand({
  name: 'publish',
  summary: 'publish an output folder to the Hub (model and GGUF repos, with model cards)',
  help: `Usage: mergeops publish <output folder> --to hf:ORG/NAME|dir:PATH [options]

Publishes the --out folder of \`mergeops run\`: the safetensors, config, tokenizer and recipe to the
model repo and the GGUF files to the GGUF repo, each with its model card, in one commit per repo.
Files equal to the repo's are not sent; when every file is equal nothing is committed. Refuses when
the folder's eval gate failed. A concurrent push to a repo fails the commit and changes nothing.

Options:
  --to TARGET            hf:ORG/NAME (a Hub model repo, created when missing) or dir:PATH (a local
                         folder laid out as the repo)
  --gguf-repo TARGET     where the GGUF files go (default: the target's name + -GGUF; \`same\`: with the model)
  --private              create missing Hub repos private
  -h, --help             this text

Environment: HF_TOKEN (a token with write access), HF_ENDPOINT (default https://huggingface.co).
`,
  options: {
    to: { type: 'string' },
    'gguf-repo': { type: 'string' },
    private: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const dir = onePositional(positionals, 'publish', 'an output folder', './merged --to hf:my-org/my-merge');
    if (!values.to) throw new MergeopsError('USAGE', '`mergeops publish` needs --to', 'e.g. --to hf:my-org/my-merge or --to dir:./site/my-merge');
    if (!existsSync(dir)) throw new MergeopsError('USAGE', `output folder ${dir} does not exist`, 'give the --out folder of `mergeops run`');
    const { hub, log } = hubAndLog(io);
    const targets = publishTargets(values.to, values['gguf-repo'], '--to');
    const starts = await checkPublishAccess(targets, hub);
    const onProgress = uploadProgressReporter(process.stderr);
    // A repo created here that gets no commit (a failed commit, an interruption) is deleted again.
    const uploads = new RunUploads(targets, { hub, starts, private: values.private, log, onProgress });
    const release = uploads.abandonOnInterrupt();
    try {
      const r = await publishOutput(resolve(dir), targets, { hub, starts, private: values.private, log, onProgress, uploaders: uploads.uploaders });
      printOutcomes(r, io);
      return 0;
    } catch (e) {
      if (interruptedBy() === undefined) await uploads.abandon('the publish failed');
      throw e;
    } finally {
      release();
    }
  },
});
