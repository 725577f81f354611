/**
 * A `fetch` for uploads that retries transient failures with exponential backoff (network errors,
 * 408/429/5xx; Retry-After honoured). Given to @huggingface/hub's calls, it makes a multipart
 * upload resume part by part: only the failed part is sent again. It also counts the bytes of
 * finished upload PUTs, for the progress line.
 */
export interface RetryOptions {
  /** Attempts after the first (default 4). */
  retries?: number;
  /** First delay; doubles each attempt (default 500 ms; MERGEOPS_RETRY_BASE_MS overrides). */
  baseDelayMs?: number;
  /** Told before each retry (no URLs with signatures, no tokens). */
  onRetry?: (what: string, attempt: number, delayMs: number, reason: string) => void;
  /** Told when an upload PUT (an LFS object or a part of one) has been sent. */
  onSent?: (bytes: number) => void;
}

const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

function bodySize(body: unknown): number {
  if (body instanceof Blob) return body.size;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return 0;
}

/** What a request is, for messages: method and path without query (signed URLs carry secrets there). */
function describe(input: string | URL | Request, init?: RequestInit): string {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  let path = url;
  try { path = new URL(url).pathname; } catch { /* keep as is */ }
  return `${init?.method ?? 'GET'} ${path}`;
}

export function retryingFetch(base: typeof fetch, opts: RetryOptions = {}): typeof fetch {
  const retries = opts.retries ?? 4;
  const envBase = Number(process.env.MERGEOPS_RETRY_BASE_MS);
  const baseDelay = opts.baseDelayMs ?? (Number.isFinite(envBase) && envBase >= 0 ? envBase : 500);
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const isPut = init?.method === 'PUT';
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let retryAfter: number | undefined;
      try {
        const res = await base(input, init);
        if (!TRANSIENT.has(res.status) || attempt >= retries) {
          if (res.ok && isPut) opts.onSent?.(bodySize(init?.body));
          return res;
        }
        reason = `HTTP ${res.status}`;
        const ra = Number(res.headers.get('Retry-After'));
        if (Number.isFinite(ra) && ra > 0) retryAfter = Math.min(ra, 60) * 1000;
        await res.body?.cancel();
      } catch (e) {
        // An abort is the library cancelling its other requests after a failure: not ours to retry.
        if (init?.signal?.aborted || attempt >= retries) throw e;
        reason = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      }
      const delay = retryAfter ?? baseDelay * 2 ** attempt * (0.75 + Math.random() * 0.5);
      opts.onRetry?.(describe(input, init), attempt + 1, delay, reason);
      await new Promise((r) => setTimeout(r, delay));
    }
  };
  return wrapped as typeof fetch;
}
