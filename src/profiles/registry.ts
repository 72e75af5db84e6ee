import { packageFile } from '../package.js';
import { normalizeOid } from './cells.js';
import { loadProfileDirectory, type LoadedProfile } from './load.js';
import type { Profile } from './schema.js';

/** Where a profile came from: shipped with priscan, or the operator's directory. */
export type ProfileOrigin = { kind: 'builtin'; file: string } | { kind: 'directory'; file: string };

export interface ProfileSources {
  /** The shipped profiles; default: the package's profiles/ directory. */
  builtinDir?: string;
  /** The operator's profile directory (config profiles.directory); its files override built-ins of the same name. */
  directory?: string;
}

export interface ProfileChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

interface Entry {
  profile: Profile;
  origin: ProfileOrigin;
  /** The profile as JSON, to tell what a reload changed. */
  text: string;
}

/** The shipped profile directory. */
export function builtinProfileDir(): string {
  return packageFile('profiles');
}

/**
 * The device profiles priscan knows: the built-in files and the operator's directory. Loading
 * validates every file first; a bad file throws and leaves what was loaded before in place.
 */
export class ProfileRegistry {
  private entries = new Map<string, Entry>();

  constructor(private readonly sources: ProfileSources = {}) {}

  /** Loads every file (at start-up, and again on reload); throws ProfileFileError for a bad one. */
  load(): ProfileChanges {
    const builtin = loadProfileDirectory(this.sources.builtinDir ?? builtinProfileDir());
    const own = this.sources.directory ? loadProfileDirectory(this.sources.directory) : [];
    const next = new Map<string, Entry>();
    const put = (loaded: LoadedProfile, kind: ProfileOrigin['kind']) =>
      next.set(loaded.profile.name, { profile: deepFreeze(loaded.profile), origin: { kind, file: loaded.file }, text: JSON.stringify(loaded.profile) });
    for (const loaded of builtin) put(loaded, 'builtin');
    for (const loaded of own) put(loaded, 'directory');
    const changes = diff(this.entries, next);
    this.entries = next;
    return changes;
  }

  /** Replaces the profiles with these (tests). */
  static of(profiles: readonly Profile[]): ProfileRegistry {
    const registry = new ProfileRegistry();
    for (const profile of profiles) registry.entries.set(profile.name, { profile, origin: { kind: 'builtin', file: '(given)' }, text: JSON.stringify(profile) });
    return registry;
  }

  get(name: string): Profile | undefined {
    return this.entries.get(name)?.profile;
  }

  /** The profile of that name; throws naming the known ones when there is none. */
  require(name: string): Profile {
    const profile = this.get(name);
    if (!profile) throw new UnknownProfileError(name, this.names());
    return profile;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  list(): Profile[] {
    return this.names().map((name) => this.entries.get(name)!.profile);
  }

  origin(name: string): ProfileOrigin | undefined {
    return this.entries.get(name)?.origin;
  }

  /** The profile an `auto` device gets from its sysObjectID: the longest matching prefix wins. */
  select(sysObjectId: string): Profile | undefined {
    return selectProfile(this.list(), sysObjectId);
  }
}

/** A device names a profile that is not loaded. */
export class UnknownProfileError extends Error {
  override readonly name = 'UnknownProfileError';
  constructor(
    readonly profile: string,
    known: readonly string[],
  ) {
    super(`unknown profile "${profile}"; known: ${known.join(', ')}`);
  }
}

/** Whether `oid` is `prefix` or lies below it, on whole arcs (…3.2 covers …3.2.1, not …3.21). */
export function oidUnder(oid: string, prefix: string): boolean {
  return oid === prefix || oid.startsWith(`${prefix}.`);
}

/** The profile whose longest sysObjectID prefix covers `sysObjectId`, among `profiles`. */
export function selectProfile(profiles: readonly Profile[], sysObjectId: string): Profile | undefined {
  const oid = normalizeOid(sysObjectId.trim());
  let best: { profile: Profile; length: number } | undefined;
  for (const profile of profiles) {
    for (const prefix of profile.match.sysObjectId) {
      const arcs = normalizeOid(prefix);
      if (oidUnder(oid, arcs) && (!best || arcs.length > best.length)) best = { profile, length: arcs.length };
    }
  }
  return best?.profile;
}

function diff(before: ReadonlyMap<string, Entry>, after: ReadonlyMap<string, Entry>): ProfileChanges {
  const changes: ProfileChanges = { added: [], removed: [], changed: [] };
  for (const [name, entry] of after) {
    const old = before.get(name);
    if (!old) changes.added.push(name);
    else if (old.text !== entry.text) changes.changed.push(name);
  }
  for (const name of before.keys()) if (!after.has(name)) changes.removed.push(name);
  return changes;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
