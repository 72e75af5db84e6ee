/**
 * An error PostgreSQL raised, carried back from the bridge's worker: its SQLSTATE as `code` (as
 * node-postgres has it, so src/cluster's checks read it the same), and the constraint, table and
 * column it names. Never PostgreSQL's `detail`: "Failing row contains (…)" would carry a row's
 * values, communities among them, into logs.
 */
export class PostgresError extends Error {
  override readonly name = 'PostgresError';
  readonly code: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(fields: { message: string; sqlstate: string; constraint?: string; table?: string; column?: string }) {
    super(messageFor(fields));
    this.code = fields.sqlstate;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
  }
}

/** SQLSTATEs the repositories and tests look for. */
export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  queryCanceled: '57014',
} as const;

/**
 * Constraint failures say so the way SQLite does ("CHECK constraint failed: …"), so a message a
 * test or an operator reads means the same whichever database wrote it; PostgreSQL's own text follows.
 */
function messageFor({ message, sqlstate, constraint }: { message: string; sqlstate: string; constraint?: string }): string {
  const kind =
    sqlstate === SQLSTATE.checkViolation ? 'CHECK' : sqlstate === SQLSTATE.foreignKeyViolation ? 'FOREIGN KEY' : sqlstate === SQLSTATE.uniqueViolation ? 'UNIQUE' : sqlstate === SQLSTATE.notNullViolation ? 'NOT NULL' : undefined;
  if (kind === undefined) return message;
  return `${kind} constraint failed${constraint ? `: ${constraint}` : ''} (${message})`;
}
