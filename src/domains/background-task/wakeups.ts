import { BroadcastChannel } from 'node:worker_threads';

/**
 * Wake-ups for the background-task runners, so a task created here starts without waiting for
 * the next poll: in this process, across its threads (`herald serve` runs the worker, and so
 * the runners, on a thread of its own beside the API). Runners in other processes find it on
 * their poll.
 */
export class TaskWakeups {
  readonly #listeners = new Set<() => void>();
  /** Other threads' wake-ups for the same database (a channel never hears its own). */
  readonly #channel: BroadcastChannel;

  /** `scope` names the database, so unrelated instances in one process (tests) stay apart. */
  constructor(scope: string) {
    this.#channel = new BroadcastChannel(`herald:tasks:${scope}`);
    this.#channel.unref();
    this.#channel.onmessage = () => this.#notify();
  }

  /** Tells the runners of this process that a task was created. */
  wake(): void {
    this.#notify();
    this.#channel.postMessage(null);
  }

  /** Calls `listener` on every wake-up until the returned function is called. */
  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#channel.close();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

declare module '../../context.js' {
  interface HeraldContext {
    /** Wakes this process's task runners when a task is created (built by the runtime). */
    readonly taskWakeups: TaskWakeups;
  }
}
