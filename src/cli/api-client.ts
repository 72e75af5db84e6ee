/** Exit codes every priscan command uses. */
export const EXIT = {
  ok: 0,
  /** The daemon refused or failed the request (the message says why). */
  failed: 1,
  /** Bad command line or config. */
  usage: 2,
  /** The daemon could not be reached. */
  unreachable: 3,
  /** The token is missing, wrong, or its role may not do this. */
  denied: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface ApiTarget {
  url: string;
  token: string | undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:8470';

/** Where the daemon is and which token to use: flags first, then PRISCAN_URL and PRISCAN_TOKEN. */
export function apiTarget(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const url = (flags.url ?? env.PRISCAN_URL ?? DEFAULT_API_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+$/.test(url)) throw new CliError(`--url must be like http://127.0.0.1:8470, got "${url}"`, EXIT.usage);
  return { url, token: flags.token ?? env.PRISCAN_TOKEN };
}

/** Calls the daemon's API; turns every failure into a CliError with a message and exit code. */
export async function callApi<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new CliError(`cannot reach priscan at ${target.url} (${cause}): is it running? set --url or PRISCAN_URL`, EXIT.unreachable);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new CliError(`${target.url}${path} answered HTTP ${res.status} with something that is not JSON: is this priscan?`, EXIT.failed);
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error;
    const message = error ? `${error.message} [${error.code}]` : `HTTP ${res.status}`;
    const hint = res.status === 401 && !target.token ? ' (pass --token or set PRISCAN_TOKEN)' : '';
    throw new CliError(`${message}${hint}`, res.status === 401 || res.status === 403 ? EXIT.denied : EXIT.failed);
  }
  return parsed as T;
}

/** A plain text table: a header row, then one row per item; columns padded to fit. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  const cells = rows.map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** Writes a command's output and returns its exit code (0). */
export function printed(out: NodeJS.WritableStream, text: string): number {
  out.write(text);
  return EXIT.ok;
}
