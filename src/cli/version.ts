import { readFileSync } from 'node:fs';
import { packageFile } from '../package.js';

export { packageFile };

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
