import { z } from 'zod';
import { ACCESS } from './access.js';
import { parse } from './pages.js';
import type { ConsoleRouter, SignedIn } from './plugin.js';
import { ConsoleRefusal } from './services.js';
import { tokensPage } from './views/admin.js';

const idParams = z.object({ id: z.string().regex(/^\d{1,15}$/, 'must be a number').transform(Number) });
const licenseParams = z.object({ ref: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be a license id or fingerprint') });
const MINUTE = 60_000;

/** A form field the console needs; a refusal (shown on the form's page) when it is missing or too long. */
function field(form: URLSearchParams, name: string, label: string, max: number): string {
  const value = (form.get(name) ?? '').trim();
  if (value === '') throw new ConsoleRefusal(`${label} is required`);
  if (value.length > max) throw new ConsoleRefusal(`${label} is longer than ${max} characters`);
  return value;
}

function wholeNumber(form: URLSearchParams, name: string, label: string, range: { min: number; max: number; empty?: number | null }): number | null {
  const text = (form.get(name) ?? '').trim();
  if (text === '' && range.empty !== undefined) return range.empty;
  if (!/^\d{1,9}$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    throw new ConsoleRefusal(`${label} must be a whole number from ${range.min} to ${range.max}`);
  }
  return Number(text);
}

const done = (redirect: string, text: string) => ({ redirect, flash: { kind: 'ok' as const, text } });

export function formRoutes(router: ConsoleRouter): void {
  const { actions } = router;
  const deviceId = (s: SignedIn) => parse(idParams, s.request.params, 'path').id;
  const devicePage = (s: SignedIn) => `/console/devices/${deviceId(s)}`;

  router.form('/devices/:id/scan', { ...ACCESS.deviceAdmin, back: devicePage }, (s) => done(devicePage(s), actions.scanNow(s.viewer, deviceId(s))));
  router.form('/devices/:id/register', { ...ACCESS.deviceAdmin, back: devicePage }, (s) => done(devicePage(s), actions.verifyRegistration(s.viewer, deviceId(s))));

  /** The alarm a form names: a device id and an alarm key. */
  const alarmOf = (form: URLSearchParams) => {
    const deviceId = Number(field(form, 'device', 'the device', 15));
    const key = field(form, 'key', 'the alarm', 512);
    if (!Number.isSafeInteger(deviceId)) throw new ConsoleRefusal('the device must be a device id');
    return { deviceId, key };
  };
  router.form('/alarms/acknowledge', { ...ACCESS.admin, back: () => '/console/alarms' }, (s, form) => {
    const alarm = alarmOf(form);
    const comment = field(form, 'comment', 'a comment', 500);
    return done('/console/alarms', actions.acknowledge(s.viewer, { ...alarm, comment }));
  });
  router.form('/alarms/unacknowledge', { ...ACCESS.admin, back: () => '/console/alarms' }, (s, form) => done('/console/alarms', actions.unacknowledge(s.viewer, alarmOf(form))));

  router.form('/licenses', { ...ACCESS.admin, back: () => '/console/licenses' }, (_s, form) => done('/console/licenses', actions.addLicense(field(form, 'key', 'the license key', 200))));
  router.form('/licenses/:ref/remove', { ...ACCESS.admin, back: () => '/console/licenses' }, (s) =>
    done('/console/licenses', actions.removeLicense(parse(licenseParams, s.request.params, 'path').ref)),
  );

  router.form('/tokens', { ...ACCESS.admin, back: () => '/console/tokens' }, (s, form) => {
    const created = actions.createToken({
      name: field(form, 'name', 'a name', 64),
      role: field(form, 'role', 'a role', 16),
      expiresInDays: wholeNumber(form, 'expiresInDays', 'the expiry in days', { min: 1, max: 3650, empty: null }),
    });
    // Shown in this answer only (no redirect, no session copy): the token exists nowhere else.
    return { page: tokensPage(s.ctx, router.deps.tokens.list(), router.deps.clock.now(), { token: created.token, name: created.info.name }), status: 201 };
  });
  router.form('/tokens/:id/revoke', { ...ACCESS.admin, back: () => '/console/tokens' }, (s) => {
    const id = parse(idParams, s.request.params, 'path').id;
    const message = actions.revokeToken(id);
    // Revoking one's own token ends this session too: the next page asks to sign in.
    return done(id === s.viewer.id ? '/console/sign-in?ended=revoked' : '/console/tokens', message);
  });

  router.form('/maintenance', { ...ACCESS.admin, back: () => '/console/maintenance' }, (s, form) => {
    const kind = form.get('scope');
    const target = field(form, 'target', 'what the window covers', 1000);
    let scope;
    if (kind === 'devices') scope = { devices: target.split(',').map((n) => n.trim()).filter((n) => n !== '') };
    else if (kind === 'site') scope = { site: target };
    else if (kind === 'profile') scope = { profile: target };
    else throw new ConsoleRefusal('a window covers devices, a site or a profile');
    const startsAt = router.deps.clock.now() + wholeNumber(form, 'startsInMinutes', 'the start', { min: 0, max: 525_600 })! * MINUTE;
    const durationMs = wholeNumber(form, 'durationMinutes', 'the duration', { min: 1, max: 525_600 })! * MINUTE;
    const created = actions.startMaintenance(s.viewer, { startsAt, durationMs, scope, reason: field(form, 'reason', 'a reason', 500) });
    return done('/console/maintenance', `maintenance window ${created.id} ${startsAt <= router.deps.clock.now() ? 'started' : 'scheduled'}`);
  });
  router.form('/maintenance/:id/end', { ...ACCESS.admin, back: () => '/console/maintenance' }, (s) =>
    done('/console/maintenance', actions.endMaintenance(parse(idParams, s.request.params, 'path').id)),
  );
}
