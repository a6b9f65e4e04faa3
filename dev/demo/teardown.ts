/**
 * What the demo started, stopped in reverse order on every way out: the end, an error (start-up
 * included), SIGINT or SIGTERM. Nothing it spawned may outlive it.
 */
export class Teardown {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];
  private running: Promise<void> | undefined;

  add(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) await Promise.resolve().then(step).catch((err) => console.error(`demo: while stopping: ${err}`));
      this.steps.length = 0;
    })();
    return this.running;
  }
}
