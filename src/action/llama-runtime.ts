/**
 * node-llama-cpp for the Action's eval. It cannot be bundled (native binaries loaded by dynamic
 * imports), so the pinned version is installed at run time with npm into a tool folder outside
 * the workspace (RUNNER_TOOL_CACHE, else RUNNER_TEMP), keyed by version and platform, kept in the
 * Actions cache, and imported from there. Only the platform's prebuilt CPU package is installed
 * (no optional GPU packages, no install scripts): llama.cpp is never built or downloaded here.
 * When the platform has no prebuilt binary, the caller gets the reason: the eval is then
 * reported as not run, never passed silently.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as cache from '@actions/cache';

/** The version pinned in package.json (a test keeps them equal). */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';

/** node-llama-cpp's prebuilt CPU packages, by `${process.platform}-${process.arch}`. */
export const PREBUILT_PACKAGES: Readonly<Record<string, string>> = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'linux-arm': '@node-llama-cpp/linux-armv7l',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
  'win32-arm64': '@node-llama-cpp/win-arm64',
};

const COMPLETE = '.mergeops-complete.json';

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  /** Keep the folder in the Actions cache (the `cache` input). */
  useCache: boolean;
  log: (line: string) => void;
  platform?: string;
  arch?: string;
}

export type RuntimeResult =
  | { ok: true; dir: string; source: 'present' | 'cache' | 'npm'; load: () => Promise<typeof import('node-llama-cpp')> }
  | { ok: false; reason: string };

export function runtimeKey(platform: string, arch: string, version = NODE_LLAMA_CPP_VERSION): string {
  return `mergeops-node-llama-cpp-${version}-${platform}-${arch}`;
}

/** The tool folder: the same path on every run of a runner image (the Actions cache versions entries by path). */
export function runtimeDir(env: NodeJS.ProcessEnv, platform: string, arch: string): string {
  const root = env.RUNNER_TOOL_CACHE || env.RUNNER_TEMP;
  if (!root) throw new Error('neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set');
  return join(root, 'mergeops-node-llama-cpp', NODE_LLAMA_CPP_VERSION, `${platform}-${arch}`);
}

function complete(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, COMPLETE), 'utf8')) as { version?: string }).version === NODE_LLAMA_CPP_VERSION;
  } catch {
    return false;
  }
}

/** The module's entry, from its package.json `exports` (ESM). */
function entryOf(dir: string): string {
  const pkgDir = join(dir, 'node_modules', 'node-llama-cpp');
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { exports?: Record<string, unknown>; main?: string };
  const dot = pkg.exports?.['.'];
  const rel = typeof dot === 'string' ? dot : (dot as Record<string, string> | undefined)?.import ?? (dot as Record<string, string> | undefined)?.default ?? pkg.main ?? 'index.js';
  return join(pkgDir, rel);
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n').find((l) => l.trim())?.trim() ?? s;
}

async function npmInstall(dir: string, pkg: string, env: NodeJS.ProcessEnv): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mergeops-llama-runtime', private: true }));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, [
    'install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--omit=optional', '--ignore-scripts', '--loglevel=error',
    `node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`, `${pkg}@${NODE_LLAMA_CPP_VERSION}`,
  ], { env: { ...env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' }, maxBuffer: 16 << 20, shell: process.platform === 'win32' });
  writeFileSync(join(dir, COMPLETE), JSON.stringify({ version: NODE_LLAMA_CPP_VERSION, package: pkg }));
}

/** Makes node-llama-cpp importable: from the tool folder, the Actions cache, or npm, in that order. */
export async function provideNodeLlamaCpp(opts: RuntimeOptions): Promise<RuntimeResult> {
  const env = opts.env ?? process.env;
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const pkg = PREBUILT_PACKAGES[`${platform}-${arch}`];
  if (!pkg) return { ok: false, reason: `node-llama-cpp has no prebuilt llama.cpp for ${platform}-${arch}` };
  let dir: string;
  try { dir = runtimeDir(env, platform, arch); } catch (e) { return { ok: false, reason: firstLine(e) }; }
  const key = runtimeKey(platform, arch);
  const cacheOn = opts.useCache && cache.isFeatureAvailable();
  let source: 'present' | 'cache' | 'npm' = 'present';
  if (!complete(dir) && cacheOn) {
    try {
      if (await cache.restoreCache([dir], key) && complete(dir)) {
        source = 'cache';
        opts.log(`node-llama-cpp ${NODE_LLAMA_CPP_VERSION}: restored from the Actions cache (${key})`);
      }
    } catch (e) {
      opts.log(`node-llama-cpp: could not restore from the Actions cache: ${firstLine(e)}`);
    }
  }
  if (!complete(dir)) {
    source = 'npm';
    const t0 = performance.now();
    try {
      await npmInstall(dir, pkg, env);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      return { ok: false, reason: `npm could not install node-llama-cpp ${NODE_LLAMA_CPP_VERSION} with ${pkg} (${firstLine(e)})` };
    }
    opts.log(`node-llama-cpp ${NODE_LLAMA_CPP_VERSION}: installed with npm into ${dir} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (cacheOn) {
      try {
        await cache.saveCache([dir], key);
        opts.log(`node-llama-cpp ${NODE_LLAMA_CPP_VERSION}: saved to the Actions cache (${key})`);
      } catch (e) {
        opts.log(`node-llama-cpp: not saved to the Actions cache: ${firstLine(e)}`);
      }
    }
  }
  let entry: string;
  try { entry = entryOf(dir); } catch (e) { return { ok: false, reason: `node-llama-cpp is incomplete in ${dir} (${firstLine(e)})` }; }
  if (!existsSync(entry)) return { ok: false, reason: `node-llama-cpp is incomplete in ${dir} (no ${entry})` };
  const url = pathToFileURL(entry).href;
  return { ok: true, dir, source, load: () => import(url) as Promise<typeof import('node-llama-cpp')> };
}
