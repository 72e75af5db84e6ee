// What the daemon reads from its config before anything starts: the issuer secret, the store,
// webhook secrets and profiles. A mistake here is a ConfigError naming the key, and stops start-up
// before anything is opened or sent.
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../clock.js';
import { loadIssuerSecret, type IssuerSecret } from '../licensing/issuer-secret.js';
import { ProfileFileError } from '../profiles/load.js';
import { ProfileRegistry } from '../profiles/registry.js';
import { StoreError } from '../store/errors.js';
import { openStore } from '../store/open.js';
import type { Store, StoreOptions } from '../store/store.js';
import { overrideProblem } from '../thresholds/overrides.js';
import { loadWebhookSecret } from '../webhooks/secret.js';
import type { Webhook } from '../webhooks/sink.js';

/** The issuer secret from config, or none (then only the included nodes are licensed). */
export function issuerSecretFrom(config: Readonly<Config>): IssuerSecret | undefined {
  const { issuerSecretFile, issuerSecretEnv } = config.licensing;
  try {
    if (issuerSecretFile) return loadIssuerSecret({ file: issuerSecretFile });
    if (issuerSecretEnv) return loadIssuerSecret({ env: issuerSecretEnv });
  } catch (error) {
    // A config mistake: stop at start-up, naming the key (the message never holds the secret).
    throw new ConfigError(`licensing.${issuerSecretFile ? 'issuerSecretFile' : 'issuerSecretEnv'}: ${(error as Error).message}`);
  }
  return undefined;
}

/** The configured store; a password that cannot be loaded stops start-up naming its key. */
export function storeFrom(config: Readonly<Config>, clock: Clock, options: StoreOptions): Store {
  try {
    return openStore(config, clock, options);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'STORE_CONFIG_INVALID') throw new ConfigError(error.message);
    throw error;
  }
}

/** The configured webhooks with their secrets; a secret that cannot be loaded stops start-up naming its key. */
export function webhooksFrom(config: Readonly<Config>): Webhook[] {
  return config.webhooks.map((webhook, i) => {
    try {
      return { config: webhook, secret: loadWebhookSecret(webhook) };
    } catch (error) {
      throw new ConfigError(`webhooks.${i}.${webhook.secretFile !== undefined ? 'secretFile' : 'secretEnv'}: ${(error as Error).message}`);
    }
  });
}

/**
 * The built-in profiles and the operator's directory, loaded and checked before anything starts;
 * a bad file, or a config device naming a profile that does not exist, is a config error.
 */
export function loadProfiles(config: Readonly<Config>): ProfileRegistry {
  const profiles = new ProfileRegistry({ directory: config.profiles.directory });
  try {
    profiles.load();
  } catch (error) {
    if (error instanceof ProfileFileError) throw new ConfigError(error.message);
    throw error;
  }
  config.devices.forEach((device, i) => {
    if (device.profile !== 'auto' && !profiles.has(device.profile)) {
      throw new ConfigError(`devices.${i}.profile: unknown profile "${device.profile}"; known: ${profiles.names().join(', ')}`);
    }
  });
  checkConfiguredThresholds(config, profiles);
  return profiles;
}

/**
 * Each config threshold names a profile that is loaded and a numeric reading it has (a device's, for
 * a config device with a named profile; some profile's, for a site or a device not known yet).
 */
function checkConfiguredThresholds(config: Readonly<Config>, profiles: ProfileRegistry): void {
  const declared = new Map(config.devices.map((d) => [d.name, d.profile === 'auto' ? null : d.profile]));
  config.thresholds.forEach((t, i) => {
    const scope = t.profile !== undefined ? 'profile' : t.site !== undefined ? 'site' : 'device';
    const target = (t.profile ?? t.site ?? t.device)!;
    const problem = overrideProblem({ scope, target, reading: t.reading, instance: t.instance }, profiles, scope === 'device' ? declared.get(target) : undefined);
    if (problem) throw new ConfigError(`thresholds.${i}.${problem.field}: ${problem.message}`);
  });
}
