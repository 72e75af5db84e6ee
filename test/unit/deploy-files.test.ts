// The files operators deploy with (Dockerfile, systemd unit, Prometheus config and rules),
// checked against the code they deploy: the start command is the package's bin and the CLI
// accepts its flags, ports and paths are the config defaults, the image holds what the
// code imports. No container engine is needed. systemd-analyze and promtool run when
// installed; without them those checks are skipped with a warning.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { COMMUNICATION_LOST, SEVERITIES } from '../../src/alarms/model.js';
import { loadConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { findTool, runTool, warnSkipped } from '../helpers/tools.js';

const ROOT = resolve(import.meta.dirname, '../..');
const repoFile = (rel: string) => join(ROOT, rel);
const read = (rel: string) => readFileSync(repoFile(rel), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
  engines: { node: string };
};
const defaults = configSchema.parse({});

// --- Dockerfile -------------------------------------------------------------------------

interface Instruction { keyword: string; args: string; workdir: string }
interface Stage { name: string | undefined; image: string; workdir: string; instructions: Instruction[] }

function parseDockerfile(text: string): Stage[] {
  // Continuation lines join; comment lines inside a continuation are dropped, as docker does.
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    if ((pending + line).trim()) logical.push((pending + line).trim());
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [image = '', , name] = args.split(/\s+/);
      stages.push({ name, image, workdir: '/', instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile: ${keyword} before FROM`);
    if (keyword.toUpperCase() === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    stage.instructions.push({ keyword: keyword.toUpperCase(), args, workdir: stage.workdir });
  }
  return stages;
}

const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found, `exactly one ${keyword}`).toHaveLength(1);
  return found[0]!;
};
const execForm = (i: Instruction) => JSON.parse(i.args.replace(/^(--\S+\s+)*CMD\s+/, '')) as string[];

interface Copy { from: string | undefined; sources: string[]; dest: string }
function copies(stage: Stage): Copy[] {
  return all(stage, 'COPY').map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    const paths = words.filter((w) => !w.startsWith('--'));
    const target = paths.at(-1)!;
    // A trailing slash says "into this directory"; keep it through resolve.
    const dest = posix.resolve(i.workdir, target) + (target.endsWith('/') ? '/' : '');
    return { from, sources: paths.slice(0, -1), dest };
  });
}

/** Where a COPY source lands: dest/name when dest ends in / or there are several sources, else dest itself. */
const landing = (copy: Copy, source: string) => (copy.dest.endsWith('/') || copy.sources.length > 1 ? posix.join(copy.dest, posix.basename(source)) : copy.dest);
const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** .dockerignore: last matching pattern wins; an excluded directory excludes what is in it. */
function dockerIgnored(patterns: string[], path: string): boolean {
  const toRegExp = (glob: string) =>
    new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '(.*/)?')}$`);
  const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const re = toRegExp(posix.normalize(negated ? raw.slice(1) : raw).replace(/^\//, ''));
    if (prefixes.some((p) => re.test(p))) ignored = !negated;
  }
  return ignored;
}

const stages = parseDockerfile(read('Dockerfile'));
const build = stages.find((s) => s.name !== undefined && stages.some((t) => copies(t).some((c) => c.from === s.name)));
const runtime = stages.at(-1)!;
const ignorePatterns = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const buildRuns = build ? all(build, 'RUN').map((i) => i.args).join('\n') : '';
const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };

/** What the build stage holds at a path relative to its WORKDIR, and where it came from. */
function buildOrigin(rel: string): { kind: 'repo' | 'npm ci' | 'tsc'; repoPath: string } | { kind: 'unknown' } {
  const fromContext = copies(build!).filter((c) => c.from === undefined);
  const copied = (repoPath: string) => fromContext.some((c) => c.sources.includes(repoPath) && posix.relative(build!.workdir, landing(c, repoPath)) === repoPath);
  if (copied(rel)) return { kind: 'repo', repoPath: rel };
  if (rel === 'node_modules' && copied('package-lock.json') && /\bnpm ci\b/.test(buildRuns)) return { kind: 'npm ci', repoPath: 'package-lock.json' };
  const outDir = posix.normalize(tsconfig.compilerOptions.outDir);
  if (rel.startsWith(`${outDir}/`) && /\bnpm run build\b/.test(buildRuns) && /\btsc\b/.test(pkg.scripts.build ?? '')) {
    const sourceDir = posix.join(tsconfig.compilerOptions.rootDir, rel.slice(outDir.length + 1)).split('/')[0]!;
    if (copied(sourceDir)) return { kind: 'tsc', repoPath: sourceDir };
  }
  return { kind: 'unknown' };
}

/** TypeScript files of a directory, tests left out. */
function sourceFiles(dir: string): string[] {
  return readdirSync(repoFile(dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => posix.join(dir, f.split('\\').join('/')));
}
/** Module specifiers the compiled file still loads (`import type` is erased). */
const runtimeImports = (file: string) =>
  [...read(file).matchAll(/^\s*(import(?!\s+type\s)|export)[^;]*?\sfrom\s+'([^']+)'/gm), ...read(file).matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m.at(-1)!);

// --- the priscan CLI, run in-process on the TypeScript source -------------------------------

/**
 * Runs src/cli/priscan.ts with the given arguments, its commands replaced by fakes: the real
 * argument parser decides, nothing starts, and the rest of the daemon need not even load.
 */
async function runCli(args: string[]) {
  const saved = { argv: process.argv, exitCode: process.exitCode };
  const calls: Array<[string, unknown[]]> = [];
  let stderr = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    vi.resetModules();
    vi.doMock('../../src/main.js', () => ({
      serve: async (...a: unknown[]) => (calls.push(['serve', a]), 0),
      checkConfig: (...a: unknown[]) => (calls.push(['check-config', a]), 0),
    }));
    vi.doMock('../../src/cli/demo.js', () => ({ runDemo: async () => (calls.push(['demo', []]), 0) }));
    process.argv = [process.execPath, 'priscan', ...args];
    process.exitCode = undefined;
    await import('../../src/cli/priscan.js');
    await vi.waitFor(() => expect(process.exitCode).not.toBeUndefined(), { timeout: 5000 });
    return { code: process.exitCode, calls, stderr };
  } finally {
    vi.doUnmock('../../src/main.js');
    vi.doUnmock('../../src/cli/demo.js');
    out.mockRestore();
    err.mockRestore();
    process.argv = saved.argv;
    process.exitCode = saved.exitCode;
  }
}

/** The command line runs `serve` with the config file it names. */
async function expectServes(args: string[]) {
  const configPath = args[args.indexOf('--config') + 1];
  expect(args[0]).toBe('serve');
  expect(configPath).toMatch(/^\//);
  const result = await runCli(args);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.calls).toEqual([['serve', [configPath]]]);
}

describe('Dockerfile', () => {
  it('has a build stage and a slim runtime stage on the Node major the package needs', () => {
    expect(build, 'a named build stage that the runtime copies from').toBeDefined();
    const major = (image: string) => Number(/^node:(\d+)-/.exec(image)?.[1]);
    expect(build!.image).toMatch(/^node:\d+-bookworm$/);
    expect(runtime.image).toBe(`${build!.image}-slim`);
    expect(major(runtime.image)).toBeGreaterThanOrEqual(Number(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1]));
    // better-sqlite3 compiles with node-gyp when no prebuilt binary fits.
    expect(pkg.dependencies['better-sqlite3']).toBeDefined();
    expect(buildRuns).toMatch(/apt-get install[^\n]*\bpython3\b[^\n]*\bmake\b[^\n]*\bg\+\+/);
    expect(buildRuns).toMatch(/\bnpm ci\b/);
    expect(buildRuns).toMatch(/\bnpm run build\b/);
    expect(buildRuns).toMatch(/\bnpm prune --omit=dev\b/);
  });

  it('copies from the build context only paths that exist and .dockerignore keeps', () => {
    for (const copy of stages.flatMap(copies).filter((c) => c.from === undefined)) {
      for (const source of copy.sources) {
        expect(existsSync(repoFile(source)), `COPY ${source}: not in the repository`).toBe(true);
        expect(dockerIgnored(ignorePatterns, source), `COPY ${source}: excluded by .dockerignore`).toBe(false);
      }
    }
    // What .dockerignore must keep out: the host's native modules and build output.
    for (const path of ['node_modules', 'dist', '.git']) expect(dockerIgnored(ignorePatterns, path), path).toBe(true);
  });

  it('copies from the build stage only what the build stage has: repository files, npm ci output or tsc output', () => {
    const fromBuild = copies(runtime).filter((c) => c.from === build!.name);
    expect(fromBuild.length).toBeGreaterThan(0);
    for (const copy of fromBuild) {
      for (const source of copy.sources) {
        const rel = posix.relative(build!.workdir, source);
        const origin = buildOrigin(rel);
        expect(origin.kind, `COPY --from=${build!.name} ${source}: not copied into nor produced by the build stage`).not.toBe('unknown');
        if (origin.kind !== 'unknown') expect(existsSync(repoFile(origin.repoPath)), `${source} comes from ${origin.repoPath}`).toBe(true);
      }
    }
  });

  it('starts the package bin "priscan" with a command line the CLI accepts', async () => {
    expect(pkg.bin.priscan).toBeDefined();
    const [node, ...args] = execForm(one(runtime, 'ENTRYPOINT'));
    expect(node).toBe('node');
    // Node's own options are the ones the bin's shebang gives it (--openssl-legacy-provider for DES).
    const nodeOptions = args.filter((a) => a.startsWith('--'));
    const [script, ...rest] = args.slice(nodeOptions.length);
    const shebang = readFileSync(repoFile('src/cli/priscan.ts'), 'utf8').split('\n')[0]!;
    expect(shebang).toMatch(/^#!\/usr\/bin\/env (-S )?node\b/);
    expect(nodeOptions).toEqual(shebang.split(/\s+/).slice(shebang.includes(' -S ') ? 3 : 2));
    expect(rest).toEqual([]);
    const workdir = one(runtime, 'WORKDIR').workdir;
    expect(script).toBe(posix.join(workdir, pkg.bin.priscan!));
    // The script is in the image: under a COPY from the build stage's tsc output of src/.
    const holder = copies(runtime).find((c) => c.from === build!.name && under(script!, c.dest));
    expect(holder, `no COPY puts ${script} into the image`).toBeDefined();
    expect(existsSync(repoFile(pkg.bin.priscan!.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);

    await expectServes(execForm(one(runtime, 'CMD')));
  });

  it('ships a config that listens on all addresses, where CMD reads it', () => {
    const cmd = execForm(one(runtime, 'CMD'));
    const configPath = cmd[cmd.indexOf('--config') + 1]!;
    const copy = copies(runtime).find((c) => c.from === undefined && c.sources.some((s) => landing(c, s) === configPath));
    expect(copy, `no COPY puts ${configPath} into the image`).toBeDefined();
    const config = loadConfig(repoFile(copy!.sources.find((s) => landing(copy!, s) === configPath)!));
    expect(config.http.listen.address).toBe('0.0.0.0');
    expect(config.http.listen.port).toBe(defaults.http.listen.port);
    expect(config.notifications.listen).toEqual(defaults.notifications.listen);
    expect(config.dataDir).toBe(defaults.dataDir);
  });

  it('exposes the default notification and HTTP ports and keeps the data directory in a volume', () => {
    const exposed = all(runtime, 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(new Set(exposed)).toEqual(new Set([`${defaults.notifications.listen.port}/udp`, `${defaults.http.listen.port}/tcp`]));
    expect(one(runtime, 'VOLUME').args).toBe(defaults.dataDir);
  });

  it('runs as a non-root user', () => {
    const user = one(runtime, 'USER').args;
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('holds every module the daemon loads: compiled folders, package files and production dependencies', () => {
    const inDist = copies(runtime)
      .filter((c) => c.from === build!.name)
      .flatMap((c) => c.sources.map((s) => posix.relative(build!.workdir, s)))
      .filter((rel) => rel.startsWith('dist/'))
      .map((rel) => rel.slice('dist/'.length));
    const workdir = one(runtime, 'WORKDIR').workdir;
    const inImage = (rel: string) => copies(runtime).some((c) => c.sources.some((s) => under(posix.join(workdir, rel), landing(c, s))));
    for (const dir of inDist) {
      for (const file of sourceFiles(dir)) {
        for (const spec of runtimeImports(file)) {
          if (spec.startsWith('.')) {
            const top = posix.normalize(posix.join(posix.dirname(file), spec)).split('/')[0]!;
            expect(inDist, `${file} imports ${spec}: dist/${top} is not in the image`).toContain(top);
          } else if (!spec.startsWith('node:')) {
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
            expect(pkg.dependencies, `${file} imports ${spec}, which npm prune --omit=dev removes`).toHaveProperty([name]);
          }
        }
        for (const [, rel] of read(file).matchAll(/packageFile\('([^']+)'\)/g)) {
          expect(inImage(rel!), `${file} reads ${rel}, which is not in the image`).toBe(true);
          expect(existsSync(repoFile(rel!))).toBe(true);
        }
      }
    }
    expect(inImage('package.json'), 'package.json: the version and package root are read from it').toBe(true);
  });

  it("checks health with node's fetch against /healthz on the HTTP port", async () => {
    const [node, flag, script] = execForm(one(runtime, 'HEALTHCHECK'));
    expect([node, flag]).toEqual(['node', '-e']);
    const url = new URL(/'(http:[^']+)'/.exec(script!)![1]!);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(defaults.http.listen.port);
    expect(url.pathname).toBe('/healthz');
    const routes = sourceFiles('src/http').map(read).join('\n');
    expect(routes).toContain(`'${url.pathname}'`);

    // The same script against a local server: healthy, unhealthy, not listening.
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const probe = () => runTool(process.execPath, ['-e', script!.replace(url.origin, `http://127.0.0.1:${port}`)]);
    try {
      expect((await probe()).code).toBe(0);
      status = 503;
      expect((await probe()).code).toBe(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect((await probe()).code).toBe(1);
  });
});

// --- systemd unit ---------------------------------------------------------------------------

function parseUnit(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = '';
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) section = header[1]!;
    else {
      const [key, ...value] = line.split('=');
      const name = `${section}.${key!.trim()}`;
      keys.set(name, [...(keys.get(name) ?? []), value.join('=').trim()]);
    }
  }
  return keys;
}

/** systemd time spans: "15s", "1min 30s", a bare number is seconds. */
function seconds(span: string): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const [, n, u = 's'] of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g)) total += Number(n) * (unit[u] ?? NaN);
  return total;
}

const unitText = read('config/priscan.service');
const unit = parseUnit(unitText);
const value = (key: string) => unit.get(`Service.${key}`)?.at(-1);
const words = (key: string) => (unit.get(`Service.${key}`) ?? []).flatMap((v) => v.split(/\s+/));

/** The shell commands of the README's "Install and deploy" block, comments dropped. */
function readmeInstallSteps(): string[] {
  const section = /^## Install and deploy\n([\s\S]*?)^## /m.exec(read('README.md'))?.[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '').trim()).filter(Boolean);
}

/** The prefix the README installs the packed checkout under with npm install -g, if it does. */
function readmeInstallPrefix(steps: string[]): string | undefined {
  const install = steps.find((line) => /^npm (install|i) .*(-g|--global)\b/.test(line));
  if (!install || !/\$\(npm pack\b[^)]*\)/.test(install)) return undefined;
  return /--prefix[= ](\S+)/.exec(install)?.[1];
}

describe('config/priscan.service', () => {
  it('runs as a dedicated user with only CAP_NET_BIND_SERVICE, for port 162', () => {
    expect(value('DynamicUser') === 'yes' || value('User') === 'priscan').toBe(true);
    expect(words('AmbientCapabilities')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(words('CapabilityBoundingSet')).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(defaults.notifications.listen.port).toBeLessThan(1024);
  });

  it('gives the daemon its default data directory as its state directory', () => {
    expect(`/var/lib/${value('StateDirectory')}`).toBe(defaults.dataDir);
  });

  it("runs priscan where the README's install step puts it: npm install -g --prefix P of the packed checkout links P/bin/priscan", async () => {
    const steps = readmeInstallSteps();
    const prefix = readmeInstallPrefix(steps);
    expect(prefix ?? 'no npm install -g --prefix P "./$(npm pack)" step', `the README's install section: ${JSON.stringify(steps)}`).toMatch(/^\//);
    // npm links each package bin as <prefix>/bin/<name> (POSIX): the unit runs exactly that.
    const binary = value('ExecStart')!.replace(/^[-@:+!]+/, '').split(/\s+/)[0]!;
    expect(binary).toBe(posix.join(prefix!, 'bin', 'priscan'));
    expect(pkg.bin.priscan).toBeDefined();
    // The packed package holds the bin's script (package.json "files").
    const packed = await runTool('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { timeoutMs: 30_000 });
    expect(packed.code, packed.stderr).toBe(0);
    const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toContain(posix.normalize(pkg.bin.priscan!));
    // The first admin token is made before the daemon holds the database, in the data
    // directory made for it (token create creates no directory and is refused while serve runs).
    const at = (re: RegExp) => steps.findIndex((line) => re.test(line));
    const tokenCreate = at(/^priscan token create\b/);
    expect(tokenCreate).toBeGreaterThan(at(/^install -d .*-o priscan\b.* \/var\/lib\/priscan$/));
    expect(at(/^install -d .*-o priscan\b.* \/var\/lib\/priscan$/)).toBeGreaterThan(-1);
    expect(tokenCreate).toBeLessThan(at(/^systemctl enable --now priscan$/));
    expect(`/var/lib/${value('StateDirectory')}`).toBe(defaults.dataDir);
  });

  it('starts the package bin "priscan" serve with flags the CLI accepts', async () => {
    const [binary, ...args] = value('ExecStart')!.replace(/^[-@:+!]+/, '').split(/\s+/);
    expect(basename(binary!)).toBe('priscan');
    expect(pkg.bin.priscan).toBeDefined();
    await expectServes(args);
  });

  it('(the CLI runner does notice a flag the CLI rejects)', async () => {
    const result = await runCli(['serve', '--config-file', '/etc/priscan/priscan.yaml']);
    expect(result.code).not.toBe(0);
    expect(result.calls).toEqual([]);
    expect(result.stderr).toMatch(/--config-file/);
  });

  it('is hardened, and leaves off what breaks Node', () => {
    for (const [key, expected] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
    ] as const) {
      expect(value(key), key).toBe(expected);
    }
    expect(new Set(words('RestrictAddressFamilies'))).toEqual(new Set(['AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_NETLINK']));
    expect(words('SystemCallFilter')).toContain('@system-service');
    // V8's JIT needs writable-then-executable memory.
    expect(value('MemoryDenyWriteExecute') ?? 'no').toBe('no');
    expect(unitText).toMatch(/#.*MemoryDenyWriteExecute/);
  });

  it('restarts on failure and gives the shutdown deadline time before SIGKILL', () => {
    expect(value('Restart')).toBe('on-failure');
    expect(value('KillSignal')).toBe('SIGTERM');
    const stop = seconds(value('TimeoutStopSec')!);
    expect(stop).toBeGreaterThan(defaults.shutdown.deadlineMs / 1000);
    expect(stop).toBeLessThanOrEqual(defaults.shutdown.deadlineMs / 1000 + 30);
  });

  const systemdAnalyze = findTool('systemd-analyze');
  if (!systemdAnalyze) warnSkipped('test/unit/deploy-files.test.ts (systemd-analyze verify)', 'systemd-analyze', 'systemd');
  it.skipIf(!systemdAnalyze)('passes systemd-analyze verify, with priscan laid out under a stand-in of the install prefix', async () => {
    // verify insists that ExecStart's binary exists and is executable; nothing is installed under
    // the README's prefix here, so the unit is checked against a temporary prefix laid out as
    // npm lays it out (bench/install-check.ts does the real npm install -g).
    const prefix = readmeInstallPrefix(readmeInstallSteps());
    expect(prefix, "the README's install prefix").toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'priscan-unit-'));
    try {
      const bin = join(dir, 'bin', 'priscan');
      mkdirSync(dirname(bin));
      copyFileSync(repoFile(pkg.bin.priscan!), bin);
      chmodSync(bin, 0o755);
      const file = join(dir, 'priscan.service');
      writeFileSync(file, unitText.replace(/^ExecStart=(\S+)/m, (_line, path: string) => `ExecStart=${join(dir, posix.relative(prefix!, path))}`));
      const result = await runTool(systemdAnalyze!, ['verify', file]);
      expect(result.stderr.split('\n').filter((l) => l.includes('priscan.service'))).toEqual([]);
      expect(result.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// --- Prometheus -----------------------------------------------------------------------------

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleTest { alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }
const PROM = 'config/prometheus';
const rules = (parseYaml(read(`${PROM}/priscan-rules.yml`)) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
const ruleTests = (parseYaml(read(`${PROM}/priscan-rules.test.yml`)) as { rule_files: string[]; tests: RuleTest[] });
const promConfig = parseYaml(read(`${PROM}/prometheus.yml`)) as {
  rule_files: string[];
  alerting: { alertmanagers: unknown[] };
  scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
};

describe('config/prometheus', () => {
  it('scrapes /metrics on the default HTTP listener, loads the rules and sends alerts to Alertmanager', () => {
    const job = promConfig.scrape_configs.find((j) => j.job_name === 'priscan');
    expect(job).toBeDefined();
    expect(job!.metrics_path ?? '/metrics').toBe('/metrics');
    expect(sourceFiles('src/http').map(read).join('\n')).toContain("'/metrics'");
    expect(job!.static_configs.flatMap((s) => s.targets)).toContain(`${defaults.http.listen.address}:${defaults.http.listen.port}`);
    expect(promConfig.rule_files).toContain('priscan-rules.yml');
    expect(promConfig.alerting.alertmanagers.length).toBeGreaterThan(0);
  });

  it('has rules with a for duration, a priscan severity, a summary and a description', () => {
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(SEVERITIES, rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('names only metrics, alarm codes and jobs that exist', () => {
    const metricSources = sourceFiles('src/metrics').map(read).join('\n');
    for (const rule of rules) {
      for (const [name] of rule.expr.matchAll(/\bpriscan_[a-z_]+\b/g)) expect(metricSources, `${rule.alert}: ${name}`).toContain(`'${name}'`);
      for (const [, job] of rule.expr.matchAll(/job="([^"]+)"/g)) expect(promConfig.scrape_configs.map((j) => j.job_name)).toContain(job);
    }
    expect(rules.find((r) => r.alert === 'PriscanDeviceCommunicationLost')?.expr).toContain(`code="${COMMUNICATION_LOST.code}"`);
  });

  it('tests every rule where it fires and where it does not', () => {
    expect(ruleTests.rule_files).toEqual(['priscan-rules.yml']);
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const { alert } of rules) {
      expect(cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0), `${alert} stays silent in a test`).toBe(true);
    }
  });

  const promtool = findTool('promtool');
  if (!promtool) warnSkipped('test/unit/deploy-files.test.ts (promtool checks)', 'promtool', 'prometheus');
  it.skipIf(!promtool).each([
    ['check config', ['check', 'config', 'prometheus.yml']],
    ['check rules', ['check', 'rules', 'priscan-rules.yml']],
    ['test rules', ['test', 'rules', 'priscan-rules.test.yml']],
  ])('passes promtool %s', async (_name, args) => {
    // Relative paths inside these files resolve against the file's own directory.
    const result = await runTool(promtool!, [...args.slice(0, -1), repoFile(`${PROM}/${args.at(-1)}`)], { timeoutMs: 30_000 });
    expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});

