// Writes the bundled recordings from their modules (run from a checkout after `npx tsc`):
//   node dist/simulators/recordings/generate.js           rewrite simulators/recordings/*.snmprec
//   node dist/simulators/recordings/generate.js --check   exit 1 if a file differs from its module
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUNDLED_RECORDINGS, RECORDINGS_DIR } from './index.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const { name, build } of BUNDLED_RECORDINGS) {
  const file = resolve(RECORDINGS_DIR, `${name}.snmprec`);
  const text = build().toSnmprec();
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not written yet
  }
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${file} differs from simulators/recordings/${name}.ts: run node dist/simulators/recordings/generate.js\n`);
    stale++;
  } else {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file} (${text.split('\n').length - 1} values)\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
