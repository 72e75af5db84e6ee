import type Database from 'better-sqlite3';

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

interface DeliveryRow {
  id: number;
  webhook: string;
  delivery_id: string;
  kind: string;
  body: string;
  created_at: number;
}

/**
 * The webhooks' on-disk queue: deliveries are written in the transaction that accepts them, read
 * oldest first, and deleted once the receiver took them, so a restart loses none. Each webhook's
 * queue is bounded: past `max` the oldest are dropped.
 */
export class WebhookQueueRepository {
  static prepare(db: Database.Database): WebhookQueueRepository {
    return new WebhookQueueRepository(db);
  }

  private readonly insert: Database.Statement<Omit<DeliveryRow, 'id'>>;
  private readonly trim: Database.Statement<{ webhook: string; max: number }>;
  private readonly head: Database.Statement<[string], DeliveryRow>;
  private readonly remove: Database.Statement<[number]>;
  private readonly counts: Database.Statement<[], { webhook: string; n: number }>;
  private readonly removeWebhook: Database.Statement<[string]>;
  private readonly adding: Database.Transaction<(deliveries: readonly NewDelivery[], max: (webhook: string) => number) => Map<string, number>>;

  private constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO webhook_deliveries (webhook, delivery_id, kind, body, created_at) VALUES (@webhook, @delivery_id, @kind, @body, @created_at)');
    // Everything older than the newest `max` of this webhook.
    this.trim = db.prepare(
      `DELETE FROM webhook_deliveries WHERE webhook = :webhook AND id <= (
         SELECT id FROM webhook_deliveries WHERE webhook = :webhook ORDER BY id DESC LIMIT 1 OFFSET :max)`,
    );
    this.head = db.prepare('SELECT * FROM webhook_deliveries WHERE webhook = ? ORDER BY id LIMIT 1');
    this.remove = db.prepare('DELETE FROM webhook_deliveries WHERE id = ?');
    this.counts = db.prepare('SELECT webhook, count(*) AS n FROM webhook_deliveries GROUP BY webhook');
    this.removeWebhook = db.prepare('DELETE FROM webhook_deliveries WHERE webhook = ?');
    this.adding = db.transaction((deliveries: readonly NewDelivery[], max: (webhook: string) => number) => {
      const dropped = new Map<string, number>();
      for (const d of deliveries) this.insert.run({ webhook: d.webhook, delivery_id: d.deliveryId, kind: d.kind, body: d.body, created_at: d.createdAt });
      for (const webhook of new Set(deliveries.map((d) => d.webhook))) {
        const n = this.trim.run({ webhook, max: max(webhook) }).changes;
        if (n > 0) dropped.set(webhook, n);
      }
      return dropped;
    });
  }

  /**
   * Queues deliveries (all or none), then drops each webhook's oldest beyond `max(webhook)`.
   * Returns how many each webhook lost that way.
   */
  enqueue(deliveries: readonly NewDelivery[], max: (webhook: string) => number): Map<string, number> {
    if (deliveries.length === 0) return new Map();
    return this.adding.immediate(deliveries, max);
  }

  /** The webhook's oldest delivery, left in the queue until delivered() or dropped(). */
  oldest(webhook: string): QueuedDelivery | undefined {
    const row = this.head.get(webhook);
    return row && { seq: row.id, webhook: row.webhook, deliveryId: row.delivery_id, kind: row.kind, body: row.body, createdAt: row.created_at };
  }

  /** Takes a delivery out of the queue; false if it was gone already (dropped meanwhile). */
  delete(seq: number): boolean {
    return this.remove.run(seq).changes > 0;
  }

  /** Deliveries waiting, per webhook. */
  pending(): Map<string, number> {
    return new Map(this.counts.all().map((r) => [r.webhook, r.n]));
  }

  /** Empties a webhook's queue (one no longer configured); how many were dropped. */
  discard(webhook: string): number {
    return this.removeWebhook.run(webhook).changes;
  }
}
