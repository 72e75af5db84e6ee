import { TokenRequestError, type ApiTokens, type CreatedToken, type Role } from '../access/tokens.js';
import { LicenseRejectedError, type LicenseService } from '../app/license-service.js';
import type { Clock } from '../clock.js';
import type { ScanScheduler } from '../scanning/scheduler.js';
import { TokenNameTakenError } from '../store/tokens.js';
import type { ConsoleData, Viewer } from './data.js';
import { ConsoleRefusal, type ConsoleMaintenanceWindow, type ConsoleServices, type MaintenanceRequest } from './services.js';

export interface ConsoleActionsDeps extends Pick<ConsoleServices, 'acknowledgements' | 'maintenance'> {
  data: ConsoleData;
  devices: { isMonitored(id: number): boolean };
  scheduler: Pick<ScanScheduler, 'requestScan' | 'requestRegistration'>;
  licenses: Pick<LicenseService, 'add' | 'remove'>;
  tokens: Pick<ApiTokens, 'create' | 'revoke' | 'list'>;
  /** Ends open event streams of a revoked token at once (not at the next recheck). */
  onTokenRevoked: () => void;
  clock: Clock;
}

/**
 * What the console's forms change, each through the service the API uses too. A request the
 * service refuses becomes a ConsoleRefusal whose message the form's page shows; every device
 * is looked up through the data module, so a partner's scope holds for changes as for reads.
 */
export class ConsoleActions {
  constructor(private readonly deps: ConsoleActionsDeps) {}

  scanNow(viewer: Viewer, deviceId: number): string {
    const device = this.monitoredDevice(viewer, deviceId);
    const how = this.deps.scheduler.requestScan(device.id, 'manual');
    return `scan of ${device.name} requested (${how})`;
  }

  verifyRegistration(viewer: Viewer, deviceId: number): string {
    const device = this.monitoredDevice(viewer, deviceId);
    this.deps.scheduler.requestRegistration(device.id);
    return `registration check of ${device.name} queued`;
  }

  acknowledge(viewer: Viewer, request: { deviceId: number; key: string; comment: string }): string {
    const device = this.deps.data.visibleDevice(viewer, request.deviceId);
    if (!device) throw new ConsoleRefusal(`no device with id ${request.deviceId}`);
    const comment = request.comment.trim();
    if (comment.length === 0) throw new ConsoleRefusal('an acknowledgement needs a comment: say what you know or what is being done');
    this.deps.acknowledgements.acknowledge({ deviceId: device.id, key: request.key, comment, by: viewer.name });
    return `alarm of ${device.name} acknowledged`;
  }

  unacknowledge(viewer: Viewer, request: { deviceId: number; key: string }): string {
    const device = this.deps.data.visibleDevice(viewer, request.deviceId);
    if (!device) throw new ConsoleRefusal(`no device with id ${request.deviceId}`);
    this.deps.acknowledgements.unacknowledge({ deviceId: device.id, key: request.key, by: viewer.name });
    return `acknowledgement of an alarm of ${device.name} withdrawn`;
  }

  addLicense(key: string): string {
    try {
      const added = this.deps.licenses.add(key);
      return `license key ${added.fingerprint} added: ${added.nodes} nodes`;
    } catch (error) {
      if (error instanceof LicenseRejectedError) throw new ConsoleRefusal(error.message);
      throw error;
    }
  }

  removeLicense(ref: string): string {
    if (!this.deps.licenses.remove(ref)) throw new ConsoleRefusal(`no installed license ${ref}`);
    return `license key ${ref} removed`;
  }

  createToken(request: { name: string; role: string; expiresInDays: number | null }): CreatedToken {
    const expiresAt = request.expiresInDays === null ? null : this.deps.clock.now() + request.expiresInDays * 86_400_000;
    try {
      return this.deps.tokens.create({ name: request.name, role: request.role as Role, expiresAt });
    } catch (error) {
      if (error instanceof TokenNameTakenError || error instanceof TokenRequestError) throw new ConsoleRefusal(error.message);
      throw error;
    }
  }

  revokeToken(id: number): string {
    const revoked = this.deps.tokens.revoke(id);
    if (!revoked) throw new ConsoleRefusal(`no token with id ${id}`);
    this.deps.onTokenRevoked();
    return `token ${revoked.name} revoked: requests and console sessions with it are refused from now on`;
  }

  startMaintenance(viewer: Viewer, request: Omit<MaintenanceRequest, 'by'>): ConsoleMaintenanceWindow {
    return this.deps.maintenance.create({ ...request, by: viewer.name });
  }

  endMaintenance(id: number): string {
    this.deps.maintenance.end(id);
    return `maintenance window ${id} ended`;
  }

  private monitoredDevice(viewer: Viewer, deviceId: number) {
    const device = this.deps.data.visibleDevice(viewer, deviceId);
    if (!device) throw new ConsoleRefusal(`no device with id ${deviceId}`);
    if (!this.deps.devices.isMonitored(device.id)) throw new ConsoleRefusal(`device ${device.name} is unlicensed: add a license key to monitor it`);
    return device;
  }
}
