import { z } from 'zod';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A postgres:// URL naming a host and a database; its password, if any, is a secret like the rest of it. */
const postgresUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Never the value: it may hold a password.
    ctx.addIssue({ code: 'custom', message: 'must be a URL such as postgres://priscan@db.example.net:5432/priscan' });
    return;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') ctx.addIssue({ code: 'custom', message: 'must start postgres:// or postgresql://' });
  else if (url.hostname === '') ctx.addIssue({ code: 'custom', message: 'must name a host' });
  else if (url.pathname.length <= 1) ctx.addIssue({ code: 'custom', message: 'must name a database (postgres://host/DATABASE)' });
});

const identifier = z.string().min(1).max(63);

/**
 * A PostgreSQL store, for collectors sharing one database (docs/scale-out.md). Either a URL or
 * host, port, database and user; the password from a file or an environment variable (or the
 * URL), never logged.
 *
 * ```yaml
 * store:
 *   postgres:
 *     host: db.example.net
 *     database: priscan
 *     user: priscan
 *     passwordFile: /etc/priscan/postgres.password   # or passwordEnv: PRISCAN_PG_PASSWORD
 * ```
 */
export const postgresStoreConfigSchema = z
  .object({
    url: postgresUrl.optional(),
    host: z.string().min(1).max(255).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: identifier.optional(),
    user: identifier.optional(),
    /** A file holding the password (one line). */
    passwordFile: z.string().min(1).optional(),
    /** Or the environment variable holding it. */
    passwordEnv: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
    /** Every call's limit, connecting included: a PostgreSQL that does not answer within it is an error, not a hang. */
    timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict()
  .superRefine((p, ctx) => {
    const parts = (['host', 'port', 'database', 'user'] as const).filter((key) => p[key] !== undefined);
    if (p.url !== undefined && parts.length > 0) ctx.addIssue({ code: 'custom', message: `give url or host, port, database and user, not both (${parts.join(', ')} beside url)` });
    if (p.url === undefined) {
      for (const key of ['host', 'database', 'user'] as const) {
        if (p[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required (or give url)' });
      }
    }
    if (p.passwordFile !== undefined && p.passwordEnv !== undefined) ctx.addIssue({ code: 'custom', message: 'set passwordFile or passwordEnv, not both' });
  });

export type PostgresStoreConfig = z.infer<typeof postgresStoreConfigSchema>;

/** Where the daemon keeps its state: SQLite in dataDir unless `postgres` is set. */
export const storeConfigSchema = z
  .object({ postgres: postgresStoreConfigSchema.optional() })
  .strict()
  .default({});

export type StoreConfig = z.infer<typeof storeConfigSchema>;
