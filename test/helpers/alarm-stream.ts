// A client of GET /api/v1/alarms/stream that keeps every event it receives until closed, so a
// test can act and then look at what the stream delivered.

export interface AlarmStreamEvent {
  id: number;
  event: string;
  data: { kind: string; deviceId: number; device: string; key: string; code: string; reason: string | null };
}

export class AlarmStreamClient {
  readonly events: AlarmStreamEvent[] = [];
  private readonly abort = new AbortController();
  private reading: Promise<void> = Promise.resolve();

  /**
   * Opens the stream with an API token, or a console session's cookie; resolves once the response
   * has begun (the server has subscribed by then).
   */
  static async open(httpUrl: string, credential: string | { cookie: string }): Promise<AlarmStreamClient> {
    const client = new AlarmStreamClient();
    const headers = typeof credential === 'string' ? { authorization: `Bearer ${credential}` } : credential;
    const res = await fetch(`${httpUrl}/api/v1/alarms/stream`, { headers, signal: client.abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`the alarm stream answered HTTP ${res.status}`);
    client.reading = client.read(res.body);
    return client;
  }

  /** Settles when the server ends the stream (or close() is called). */
  get finished(): Promise<void> {
    return this.reading;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          const data = field('data');
          if (data) this.events.push({ id: Number(field('id')), event: field('event') ?? '', data: JSON.parse(data) as AlarmStreamEvent['data'] });
        }
      }
    } catch (error) {
      if (!this.abort.signal.aborted) throw error;
    }
  }
}
