/**
 * In-process wake-ups for the background-task runners, so a task created here starts
 * without waiting for the next poll. Runners in other processes find it on their poll.
 */
export class TaskWakeups {
  readonly #listeners = new Set<() => void>();

  /** Tells this process's runners that a task was created. */
  wake(): void {
    for (const listener of this.#listeners) listener();
  }

  /** Calls `listener` on every wake-up until the returned function is called. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

declare module '../../context.js' {
  interface HeraldContext {
    /** Wakes this process's task runners when a task is created (built by the runtime). */
    readonly taskWakeups: TaskWakeups;
  }
}
