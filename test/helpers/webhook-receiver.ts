import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WEBHOOK_HEADERS, type WebhookPayload } from '../../src/webhooks/payload.js';

/** How the receiver answers: 200, an HTTP error, or only after a delay (longer than the sender waits). */
export type ReceiverMode = { status: number } | { delayFirstAttemptMs: number };

export interface ReceivedPost {
  headers: IncomingHttpHeaders;
  body: string;
  payload: WebhookPayload;
  /** What the receiver answered (0: the sender gave up before the answer). */
  status: number;
  /** The signature checked with the shared secret, as a receiver does. */
  verified: boolean;
}

/**
 * A webhook receiver on a loopback address: it records every POST with its raw body, checks the
 * signature with the secret, and answers as told. It can be stopped and started again on the same
 * port, as a receiver's restart would.
 */
export class WebhookReceiver {
  readonly posts: ReceivedPost[] = [];
  mode: ReceiverMode = { status: 200 };
  private server: Server | undefined;
  private port = 0;
  private readonly seenIds = new Set<string>();

  constructor(
    private readonly address: string,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://${this.address}:${this.port}/hooks/priscan`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let aborted = false;
      res.on('close', () => {
        if (!res.writableFinished) aborted = true;
      });
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
        const verified = verifyWebhook({ body, timestamp: header(WEBHOOK_HEADERS.timestamp), signature: header(WEBHOOK_HEADERS.signature) }, this.secret, Date.now()).ok;
        const post: ReceivedPost = { headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload, status: 0, verified };
        this.posts.push(post);
        const mode = this.mode;
        const id = post.payload.deliveryId;
        const answer = (status: number) => {
          // The sender gave up on this attempt: nobody reads an answer any more.
          if (aborted) return;
          post.status = status;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'not now');
        };
        if ('status' in mode) return answer(mode.status);
        const first = !this.seenIds.has(id);
        this.seenIds.add(id);
        if (!first) return answer(200);
        // Too late for the sender, which has given up on this attempt: it will try again.
        setTimeout(() => answer(200), mode.delayFirstAttemptMs).unref();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.address, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Posts the receiver accepted (answered 200), in arrival order. */
  accepted(): ReceivedPost[] {
    return this.posts.filter((p) => p.status === 200);
  }

  /** Accepted posts with repeats of a delivery id dropped, as a receiver deduplicates. */
  deduplicated(): WebhookPayload[] {
    const seen = new Set<string>();
    return this.accepted()
      .map((p) => p.payload)
      .filter((p) => !seen.has(p.deliveryId) && seen.add(p.deliveryId));
  }
}
