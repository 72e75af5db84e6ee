/** Every long-lived part of the daemon: constructors assign, start() acquires, stop() releases. */
export interface Component {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Starts components in order and stops them in reverse. A failed start stops
 * what had started; a stop that overruns its share of the deadline is left
 * behind so shutdown always ends.
 */
export class Lifecycle {
  private started: Component[] = [];

  constructor(private readonly components: readonly Component[]) {}

  async start(): Promise<void> {
    for (const component of this.components) {
      try {
        await component.start();
      } catch (error) {
        await this.stop(5_000);
        throw error instanceof Error ? error : new StartupError(`${component.name} failed to start: ${String(error)}`);
      }
      this.started.push(component);
    }
  }

  /** Returns the names of components that did not stop within the deadline. */
  async stop(deadlineMs: number): Promise<string[]> {
    const overdue: string[] = [];
    const deadline = Date.now() + deadlineMs;
    for (const component of this.started.reverse()) {
      const left = Math.max(0, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const stopped = await Promise.race([
        Promise.resolve()
          .then(() => component.stop())
          .then(
            () => true,
            () => true,
          ),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), left))),
      ]);
      clearTimeout(timer);
      if (!stopped) overdue.push(component.name);
    }
    this.started = [];
    return overdue;
  }
}
