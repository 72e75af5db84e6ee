import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { profileSchema, type Profile } from './schema.js';

/** A profile file that cannot be used; the message is one line naming the file and the key. */
export class ProfileFileError extends Error {
  override readonly name = 'ProfileFileError';
}

/** A profile and the file it came from. */
export interface LoadedProfile {
  profile: Profile;
  file: string;
}

const MAX_FILE_BYTES = 1024 * 1024;

/** Parses and validates one profile file's text; `file` names it in errors. */
export function parseProfile(text: string, file: string): Profile {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ProfileFileError(`${file}: not valid YAML${where}`);
  }
  const parsed = profileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    const more = rest.length > 0 ? ` (and ${rest.length} more)` : '';
    throw new ProfileFileError(`${file}: ${keyOf(first!)}: ${first!.message}${more}`);
  }
  return parsed.data;
}

function keyOf(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
}

/** Reads one profile file. */
export function loadProfileFile(file: string): LoadedProfile {
  let text: string;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new ProfileFileError(`${file}: larger than 1 MiB; not a profile`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ProfileFileError) throw error;
    throw new ProfileFileError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return { profile: parseProfile(text, file), file };
}

/** Every `*.yaml` / `*.yml` file of a directory, in name order; two files may not name one profile. */
export function loadProfileDirectory(dir: string): LoadedProfile[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    throw new ProfileFileError(`${dir}: cannot read the profile directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const loaded = entries.map((name) => loadProfileFile(join(dir, name)));
  const seen = new Map<string, string>();
  for (const { profile, file } of loaded) {
    const other = seen.get(profile.name);
    if (other) throw new ProfileFileError(`${file}: name: profile ${profile.name} is also defined in ${other}`);
    seen.set(profile.name, file);
  }
  return loaded;
}
