import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root, found relative to this file in both src/ and dist/src/. */
function packageRoot(): URL | undefined {
  for (const candidate of ['../', '../../']) {
    const root = new URL(candidate, import.meta.url);
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { name?: string };
      if (pkg.name === 'priscan') return root;
    } catch {
      // try the next location
    }
  }
  return undefined;
}

/** A file or directory shipped with the package (config/, mibs/, profiles/), as a path. */
export function packageFile(relative: string): string {
  const root = packageRoot();
  if (!root) throw new Error(`cannot find the priscan package to read ${relative}`);
  return fileURLToPath(new URL(relative, root));
}
