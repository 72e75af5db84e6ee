import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** The address the console's pages are served from in app.inject() requests (fastify's default host). */
export const OWN_ORIGIN = 'http://localhost:80';

/** A browser's view of the console through app.inject(): its cookies and the last page's CSRF token. */
export interface ConsoleClient {
  cookie: string;
  /** The CSRF token of the session (from a page's hidden field). */
  csrf: string;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Posts a form; `_csrf` is added unless the fields say otherwise (null leaves it out). */
  post(url: string, fields?: Record<string, string | null>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

export function cookieValue(res: LightMyRequestResponse, name: string): string | undefined {
  const header = res.headers['set-cookie'];
  const all = Array.isArray(header) ? header : header ? [header] : [];
  const found = all.find((c) => c.startsWith(`${name}=`));
  return found?.slice(name.length + 1).split(';')[0];
}

export function hiddenField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
}

export function formBody(fields: Record<string, string | null>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== null) params.set(k, v);
  return params.toString();
}

/** Loads the sign-in page and posts the token, as a browser does; throws unless it signs in. */
export async function signIn(app: FastifyInstance, token: string): Promise<ConsoleClient> {
  const form = await app.inject({ method: 'GET', url: '/console/sign-in' });
  const nonce = cookieValue(form, 'priscan_signin')!;
  const res = await app.inject({
    method: 'POST',
    url: '/console/sign-in',
    headers: { cookie: `priscan_signin=${nonce}`, 'content-type': 'application/x-www-form-urlencoded', origin: OWN_ORIGIN },
    payload: formBody({ _signin: hiddenField(form.body, '_signin')!, token }),
  });
  const session = cookieValue(res, 'priscan_session');
  if (res.statusCode !== 303 || !session) throw new Error(`sign-in failed: ${res.statusCode} ${res.body.slice(0, 300)}`);
  const cookie = `priscan_session=${session}`;
  const overview = await app.inject({ method: 'GET', url: '/console/', headers: { cookie } });
  const client: ConsoleClient = {
    cookie,
    csrf: hiddenField(overview.body, '_csrf')!,
    get: (url, headers = {}) => app.inject({ method: 'GET', url, headers: { cookie: client.cookie, ...headers } }),
    post: (url, fields = {}, headers = {}) =>
      app.inject({
        method: 'POST',
        url,
        headers: { cookie: client.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: OWN_ORIGIN, ...headers },
        payload: formBody({ _csrf: client.csrf, ...fields }),
      }),
  };
  return client;
}
