import type Database from 'better-sqlite3';
import type { StoreSession } from './session.js';

/** One webhook POST waiting for its receiver to accept it. */
export interface QueuedDelivery {
  /** Queue order within its webhook. */
  seq: number;
  webhook: string;
  deliveryId: string;
  /** raise, clear, ack or unack: for the receiver's header and for logs. */
  kind: string;
  /** The exact JSON posted. */
  body: string;
  createdAt: number;
}

export type NewDelivery = Omit<QueuedDelivery, 'seq'>;

/** A webhook_deliveries row as stored. */
export interface DeliveryRow {
  id: number;
  webhook: string;
  delivery_id: string;
  kind: string;
  body: string;
  created_at: number;
}

/** What a backend runs for the webhook queue: one method per statement. */
export interface WebhookQueueStatements {
  insert(row: Omit<DeliveryRow, 'id'>): void;
  /** Deletes everything older than the newest `max` of this webhook; how many went. */
  trim(webhook: string, max: number): number;
  head(webhook: string): DeliveryRow | undefined;
  remove(id: number): boolean;
  counts(): { webhook: string; n: number }[];
  removeWebhook(webhook: string): number;
}

/**
 * The webhooks' on-disk queue: deliveries are written in the transaction that accepts them, read
 * oldest first, and deleted once the receiver took them, so a restart loses none. Each webhook's
 * queue is bounded: past `max` the oldest are dropped.
 */
export class WebhookQueueRepository {
  constructor(private readonly deps: { statements: WebhookQueueStatements; session: StoreSession }) {}

  /**
   * Queues deliveries (all or none), then drops each webhook's oldest beyond `max(webhook)`.
   * Returns how many each webhook lost that way.
   */
  enqueue(deliveries: readonly NewDelivery[], max: (webhook: string) => number): Map<string, number> {
    if (deliveries.length === 0) return new Map();
    const { statements, session } = this.deps;
    return session.write(() => {
      const dropped = new Map<string, number>();
      for (const d of deliveries) statements.insert({ webhook: d.webhook, delivery_id: d.deliveryId, kind: d.kind, body: d.body, created_at: d.createdAt });
      for (const webhook of new Set(deliveries.map((d) => d.webhook))) {
        const n = statements.trim(webhook, max(webhook));
        if (n > 0) dropped.set(webhook, n);
      }
      return dropped;
    });
  }

  /** The webhook's oldest delivery, left in the queue until delivered() or dropped(). */
  oldest(webhook: string): QueuedDelivery | undefined {
    const row = this.deps.statements.head(webhook);
    return row && { seq: row.id, webhook: row.webhook, deliveryId: row.delivery_id, kind: row.kind, body: row.body, createdAt: row.created_at };
  }

  /** Takes a delivery out of the queue; false if it was gone already (dropped meanwhile). */
  delete(seq: number): boolean {
    return this.deps.statements.remove(seq);
  }

  /** Deliveries waiting, per webhook. */
  pending(): Map<string, number> {
    return new Map(this.deps.statements.counts().map((r) => [r.webhook, r.n]));
  }

  /** Empties a webhook's queue (one no longer configured); how many were dropped. */
  discard(webhook: string): number {
    return this.deps.statements.removeWebhook(webhook);
  }
}

export function sqliteWebhookQueueStatements(db: Database.Database): WebhookQueueStatements {
  const insert = db.prepare<[Omit<DeliveryRow, 'id'>]>(
    'INSERT INTO webhook_deliveries (webhook, delivery_id, kind, body, created_at) VALUES (@webhook, @delivery_id, @kind, @body, @created_at)',
  );
  const trim = db.prepare<[{ webhook: string; max: number }]>(
    `DELETE FROM webhook_deliveries WHERE webhook = :webhook AND id <= (
       SELECT id FROM webhook_deliveries WHERE webhook = :webhook ORDER BY id DESC LIMIT 1 OFFSET :max)`,
  );
  const head = db.prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE webhook = ? ORDER BY id LIMIT 1');
  const remove = db.prepare<[number]>('DELETE FROM webhook_deliveries WHERE id = ?');
  const counts = db.prepare<[], { webhook: string; n: number }>('SELECT webhook, count(*) AS n FROM webhook_deliveries GROUP BY webhook');
  const removeWebhook = db.prepare<[string]>('DELETE FROM webhook_deliveries WHERE webhook = ?');
  return {
    insert: (row) => void insert.run(row),
    trim: (webhook, max) => trim.run({ webhook, max }).changes,
    head: (webhook) => head.get(webhook),
    remove: (id) => remove.run(id).changes > 0,
    counts: () => counts.all(),
    removeWebhook: (webhook) => removeWebhook.run(webhook).changes,
  };
}
