import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CONSOLE_JS } from './assets/client.js';
import { CONSOLE_CSS } from './assets/style.js';
import type { AssetUrls } from './views/layout.js';

/** One file the console's pages load: served by the daemon itself, never from a CDN. */
export interface ConsoleAsset {
  type: string;
  body: Buffer;
  /** A digest of the body: part of the URL pages use, so a new version is never served from a cache. */
  version: string;
}

export interface ConsoleAssets {
  urls: AssetUrls;
  /** By file name, as under /console/assets/. */
  files: ReadonlyMap<string, ConsoleAsset>;
}

function asset(type: string, body: Buffer): ConsoleAsset {
  return { type, body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

/** htmx from its npm package (a dependency), the stylesheet and the script from this package. */
export function loadConsoleAssets(): ConsoleAssets {
  const htmxFile = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
  const files = new Map<string, ConsoleAsset>([
    ['htmx.min.js', asset('text/javascript; charset=utf-8', readFileSync(htmxFile))],
    ['console.css', asset('text/css; charset=utf-8', Buffer.from(CONSOLE_CSS))],
    ['console.js', asset('text/javascript; charset=utf-8', Buffer.from(CONSOLE_JS))],
  ]);
  const url = (name: string) => `/console/assets/${name}?v=${files.get(name)!.version}`;
  return { files, urls: { css: url('console.css'), htmx: url('htmx.min.js'), client: url('console.js') } };
}
