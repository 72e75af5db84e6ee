import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eatonXupsRecording } from './eaton-xups.js';
import { raritanPdu2Recording } from './raritan-pdu2.js';
import type { RecordingBuilder } from './recording-builder.js';

/** The recordings shipped in simulators/recordings/, each generated from its module here. */
export const BUNDLED_RECORDINGS: ReadonlyArray<{ name: string; build: () => RecordingBuilder }> = [
  { name: 'eaton-xups', build: eatonXupsRecording },
  { name: 'raritan-pdu2', build: raritanPdu2Recording },
];

const here = dirname(fileURLToPath(import.meta.url));
/** Where the .snmprec files are, whether this module runs from the sources or from dist/. */
export const RECORDINGS_DIR = existsSync(resolve(here, 'eaton-xups.snmprec')) ? here : resolve(here, '../../../simulators/recordings');

/** A bundled recording's file for its name (`eaton-xups`), or undefined when there is none by that name. */
export function bundledRecording(name: string): string | undefined {
  if (!BUNDLED_RECORDINGS.some((r) => r.name === name)) return undefined;
  const file = resolve(RECORDINGS_DIR, `${name}.snmprec`);
  return existsSync(file) ? file : undefined;
}
