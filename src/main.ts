import pino from 'pino';
import { Daemon } from './app/daemon.js';
import { loadProfiles } from './app/daemon-config.js';
import { systemClock } from './clock.js';
import { loadConfig, redactConfig } from './config/load.js';
import { lockStore } from './store/open.js';

/**
 * `priscan serve`: takes the data directory of a SQLite store (a second daemon on it is refused
 * at once, naming this one), runs the daemon until SIGTERM or SIGINT, then shuts down within the
 * deadline. A PostgreSQL store is shared by collectors: nothing to take.
 */
export async function serve(configPath: string | undefined): Promise<number> {
  const config = loadConfig(configPath);
  const lock = lockStore(config, { command: 'priscan serve', now: () => systemClock.now(), createDirectory: true });
  try {
    const log = pino({ level: config.log.level });
    const daemon = new Daemon({ config, log });
    const running = await daemon.start();
    // SIGHUP re-reads the profile files; a bad file is logged and changes nothing.
    const reload = () => {
      running.devices.reloadProfiles().catch((error: unknown) => log.error({ err: (error as Error).message }, 'profiles not reloaded'));
    };
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.off('SIGHUP', reload);
    log.info('shutting down');
    // A second signal during shutdown means "now".
    const force = () => process.exit(1);
    process.once('SIGTERM', force);
    process.once('SIGINT', force);
    await daemon.stop();
    log.info('stopped');
    return 0;
  } finally {
    lock?.release();
  }
}

/** `priscan check-config`: validates and prints the effective config with secrets redacted. */
export function checkConfig(configPath: string | undefined): number {
  const config = loadConfig(configPath);
  const profiles = loadProfiles(config);
  const own = profiles.names().filter((name) => profiles.origin(name)?.kind === 'directory');
  process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  process.stdout.write(
    `config ok: ${configPath ?? 'built-in defaults'} (${config.devices.length} devices declared; ` +
      `${profiles.names().length} profiles${own.length > 0 ? `, from ${config.profiles.directory}: ${own.join(', ')}` : ''})\n`,
  );
  return 0;
}
