import { ProfileRegistry } from '../../src/profiles/registry.js';
import type { Profile } from '../../src/profiles/schema.js';

let builtins: ProfileRegistry | undefined;

/** The shipped profile files, loaded once per test file. */
export function builtinProfiles(): ProfileRegistry {
  if (!builtins) {
    builtins = new ProfileRegistry();
    builtins.load();
  }
  return builtins;
}

/** One shipped profile by name. */
export function builtinProfile(name: string): Profile {
  return builtinProfiles().require(name);
}
