// What a running daemon's SQLite database holds and takes, read beside it: a read-only connection
// (WAL readers never block the daemon's writer) and the files' sizes. The bytes in use are the
// pages that hold data (page count minus free pages, the WAL's committed pages included), which
// grow with what is written; the files also hold free pages and a WAL that is reused, not shrunk.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface DatabaseFigures {
  /** Bytes in pages that hold data. */
  usedBytes: number;
  /** priscan.db and its -wal, as on disk. */
  fileBytes: number;
  walBytes: number;
  readingSeries: number;
  readingPoints: number;
  events: number;
  alarmsActive: number;
}

const sizeOf = (path: string) => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

export function databaseFigures(path: string): DatabaseFigures {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const pragma = (name: string) => db.pragma(name, { simple: true }) as number;
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      usedBytes: (pragma('page_count') - pragma('freelist_count')) * pragma('page_size'),
      fileBytes: sizeOf(path),
      walBytes: sizeOf(`${path}-wal`),
      readingSeries: count('reading_series'),
      readingPoints: count('reading_points'),
      events: count('events'),
      alarmsActive: count('alarms_active'),
    };
  } finally {
    db.close();
  }
}

/**
 * What was written between two readings, and what that makes in a day: per scan (the window may
 * hold more or fewer scans than a day's share), times the scans of a day.
 */
export function databaseGrowth(before: DatabaseFigures, after: DatabaseFigures, scans: { inWindow: number; perDay: number; devices: number }) {
  const perDay = (n: number) => (scans.inWindow > 0 ? (n / scans.inWindow) * scans.perDay : NaN);
  const points = after.readingPoints - before.readingPoints;
  const usedBytes = after.usedBytes - before.usedBytes;
  return {
    usedBytes,
    points,
    events: after.events - before.events,
    scans: scans.inWindow,
    usedBytesPerDay: Math.round(perDay(usedBytes)),
    pointsPerDevicePerDay: Math.round((perDay(points) / scans.devices) * 10) / 10,
    /** Bytes in use per history point written (the rest of what a scan writes is updated in place). */
    bytesPerPoint: points > 0 ? Math.round((usedBytes / points) * 10) / 10 : null,
  };
}
