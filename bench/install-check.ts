// The README's install step done for real, into a temporary prefix instead of /usr/local: npm
// packs this checkout and installs the tarball globally (its dependencies from the registry,
// better-sqlite3 built), then the command must be where config/priscan.service runs it, run,
// open a database, and the unit must pass systemd-analyze verify with that binary. Too slow for
// npm test (about 2 minutes, and it needs the npm registry); test/unit/deploy-files.test.ts
// checks the README and the unit agree.
//
//   npm run build && node dist/bench/install-check.js
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');

function run(command: string, args: string[], options: { cwd?: string } = {}): string {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: options.cwd ?? root, encoding: 'utf8', timeout: 600_000 });
  process.stderr.write(`$ ${command} ${args.join(' ')}  (${Math.round(performance.now() - started)} ms, exit ${result.status})\n`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.error?.message}`);
  return result.stdout;
}

// The README's install line, as written, but under a temporary prefix.
const section = /^## Install and deploy\n([\s\S]*?)^## /m.exec(read('README.md'))?.[1] ?? '';
const steps = (/```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '').split('\n').map((l) => l.replace(/(^|\s)#.*$/, '').trim());
const install = steps.find((line) => /^npm install -g\b.*\$\(npm pack\b/.test(line));
if (!install) throw new Error("the README's install section has no npm install -g \"./$(npm pack)\" step");
const prefix = /--prefix[= ](\S+)/.exec(install)?.[1];
if (!prefix) throw new Error(`the README's install step names no --prefix: ${install}`);
// The other options of that line (not those inside "$(npm pack ...)").
const flags = install.split(/\s+/).filter((w) => /^--[a-z-]+(=[\w.,-]+)?$/.test(w) && !w.startsWith('--prefix') && !install.includes(`${w})`));
const unitBinary = /^ExecStart=(\S+)/m.exec(read('config/priscan.service'))![1]!;

const scratch = mkdtempSync(join(tmpdir(), 'priscan-install-'));
const result: Record<string, unknown> = { bench: 'install-check', readmePrefix: prefix, unitBinary };
const started = performance.now();
try {
  const tarball = run('npm', ['pack', '--silent', '--pack-destination', scratch]).trim();
  const stand = join(scratch, 'prefix');
  run('npm', ['install', '-g', '--prefix', stand, ...flags, '--no-audit', '--no-fund', join(scratch, tarball)]);
  result.installSeconds = Math.round((performance.now() - started) / 100) / 10;
  const installed = join(stand, posix.relative(prefix, unitBinary));
  result.binaryAtUnitPath = existsSync(installed);
  if (!existsSync(installed)) throw new Error(`npm installed no ${installed} (the unit runs ${unitBinary} under ${prefix})`);
  result.binaryTarget = realpathSync(installed);
  result.version = run(installed, ['--version']).trim();
  // The native module was built: a database opens.
  const dataDir = join(scratch, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(scratch, 'priscan.yaml'), `dataDir: ${dataDir}\n`);
  result.tokenCreate = /^psk_/.test(run(installed, ['token', 'create', '--role', 'admin', '--name', 'install-check', '--config', join(scratch, 'priscan.yaml')]));
  const verify = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (verify.status === 0) {
    const unit = join(scratch, 'priscan.service');
    writeFileSync(unit, read('config/priscan.service').replace(/^ExecStart=\S+/m, `ExecStart=${installed}`));
    const checked = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    result.systemdAnalyzeVerify = checked.status === 0 ? 'pass' : `fail: ${checked.stderr.trim()}`;
  } else {
    result.systemdAnalyzeVerify = 'not run: systemd-analyze is not installed';
  }
  result.ok = result.binaryAtUnitPath === true && result.tokenCreate === true && result.systemdAnalyzeVerify !== 'fail';
} catch (error) {
  result.ok = false;
  result.error = (error as Error).message;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exitCode = result.ok ? 0 : 1;
