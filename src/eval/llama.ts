/**
 * llama.cpp for the eval stage: node-llama-cpp's prebuilt CPU library, never built or downloaded
 * (gpu: false, build: "never", skipDownload), one instance per process, with an explicit thread
 * count (llama.cpp's default oversubscribes small runners). node-llama-cpp is imported on demand
 * through one replaceable loader: the CLI imports the installed package; the Action, whose bundle
 * cannot hold it, installs it at run time and passes its own import with `setNodeLlamaCppLoader`.
 */
import { availableParallelism } from 'node:os';

export type NodeLlamaCpp = typeof import('node-llama-cpp');
export type Llama = Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
export type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;

/** Imports node-llama-cpp; rejects when it is not installed. */
export type NodeLlamaCppLoader = () => Promise<NodeLlamaCpp>;

export interface LlamaRuntime {
  lib: NodeLlamaCpp;
  llama: Llama;
  versions: { nodeLlamaCpp?: string; llamaCpp?: string };
  /** Threads each context evaluates with. */
  threads: number;
}

/** Why llama.cpp is not available here (the eval is then reported as not run, never passed). */
export interface LlamaUnavailable {
  unavailable: string;
}

const defaultLoader: NodeLlamaCppLoader = () => import('node-llama-cpp');
let loader: NodeLlamaCppLoader = defaultLoader;
let runtime: Promise<LlamaRuntime | LlamaUnavailable> | undefined;

/** Where node-llama-cpp comes from (the Action's run-time install); resets the loaded instance. */
export function setNodeLlamaCppLoader(load: NodeLlamaCppLoader | undefined): void {
  loader = load ?? defaultLoader;
  runtime = undefined;
}

/** The process's llama.cpp, loaded on first use (getLlama tests the binary in a child process: a second or so). */
export function llamaRuntime(threads = availableParallelism()): Promise<LlamaRuntime | LlamaUnavailable> {
  runtime ??= load(threads);
  return runtime;
}

async function load(threads: number): Promise<LlamaRuntime | LlamaUnavailable> {
  let lib: NodeLlamaCpp;
  try {
    lib = await loader();
  } catch (e) {
    return { unavailable: `node-llama-cpp is not installed here (${firstLine(e)})` };
  }
  let llama: Llama;
  try {
    llama = await lib.getLlama({
      gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false,
      logLevel: lib.LlamaLogLevel.error, maxThreads: threads,
    });
  } catch (e) {
    return { unavailable: `node-llama-cpp has no prebuilt llama.cpp for ${process.platform}-${process.arch} (${firstLine(e)})` };
  }
  let nodeLlamaCpp: string | undefined;
  try {
    nodeLlamaCpp = await lib.getModuleVersion();
  } catch {
    nodeLlamaCpp = undefined;
  }
  return { lib, llama, threads, versions: { nodeLlamaCpp, llamaCpp: llama.llamaCppRelease.release } };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
