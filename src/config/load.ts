import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One line naming the key and what is wrong with it; never the value (it may be a secret). */
export function describeIssue(issue: z.core.$ZodIssue, source: string): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${source}: ${key}: ${issue.message}`;
}

export function parseConfig(raw: unknown, source: string): Readonly<Config> {
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new ConfigError(`${describeIssue(issues[0] as z.core.$ZodIssue, source)}${more}`);
  }
  return deepFreeze(parsed.data);
}

/** Reads and validates a YAML (or JSON) config file. */
export function loadConfig(path: string | undefined): Readonly<Config> {
  if (path === undefined) return parseConfig({}, 'built-in defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError(`${path}: not valid YAML${where}`);
  }
  return parseConfig(raw, path);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Config keys whose values are secrets. */
// A webhook's `url` may carry a token in its path (chat services' incoming webhooks do).
export const SECRET_KEYS: ReadonlySet<string> = new Set(['readCommunity', 'writeCommunity', 'notifyCommunity', 'community', 'authPassword', 'privPassword', 'url']);

/** A copy safe to log: every secret shown as <secret>. */
export function redactConfig(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value) =>
      SECRET_KEYS.has(key) && typeof value === 'string' ? '<secret>' : value,
    ),
  );
}
