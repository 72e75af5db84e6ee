/** Why a POST failed: names for a metric label, few and fixed. */
export type DeliveryFailure = 'timeout' | 'network' | 'unavailable' | 'rejected';

export type PostResult = { ok: true } | { ok: false; reason: DeliveryFailure; detail: string };

export interface JsonPost {
  fetch: typeof globalThis.fetch;
  url: string;
  body: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** 'manual': a redirect is an answer (refused), never followed with the body elsewhere. */
  redirect?: 'follow' | 'manual' | 'error';
}

/**
 * One JSON POST, its outcome sorted the way every sink retries: a 5xx, 408 or 429 answer
 * ('unavailable'), a timeout and a network error are worth retrying; any other answer that is not
 * 2xx ('rejected') would fail the same way again.
 */
export async function postJson(post: JsonPost): Promise<PostResult> {
  try {
    const response = await post.fetch(post.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...post.headers },
      body: post.body,
      signal: AbortSignal.timeout(post.timeoutMs),
      ...(post.redirect ? { redirect: post.redirect } : {}),
    });
    // Read the body either way: it frees the connection, and a 4xx body says what was wrong.
    const text = await response.text();
    if (response.ok) return { ok: true };
    const detail = `HTTP ${response.status}: ${text.slice(0, 300).trim()}`;
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    return { ok: false, reason: retryable ? 'unavailable' : 'rejected', detail };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { ok: false, reason: timedOut ? 'timeout' : 'network', detail: describe(error) };
  }
}

/** fetch's TypeError hides the useful part (ECONNREFUSED ...) in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
