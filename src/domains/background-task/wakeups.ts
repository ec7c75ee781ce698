import { ThreadSignal } from '../../store/thread-signal.js';

/**
 * Wake-ups for the background-task runners, so a task created here starts without waiting for
 * the next poll: in this process, and across its threads when it has several on one database
 * (`herald serve` runs the worker, and so the runners, on a thread of its own beside the API).
 * Runners in other processes find it on their poll.
 */
export class TaskWakeups {
  readonly #signal: ThreadSignal<null>;

  /** `channel` names the database the threads share; null when this thread is alone on it. */
  constructor(channel: string | null) {
    this.#signal = new ThreadSignal(channel === null ? null : `herald:tasks:${channel}`);
  }

  /** Tells the runners that a task was created. */
  wake(): void {
    this.#signal.emit(null);
  }

  /** Calls `listener` on every wake-up until the returned function is called. */
  listen(listener: () => void): () => void {
    return this.#signal.on(listener);
  }

  close(): void {
    this.#signal.close();
  }
}

declare module '../../context.js' {
  interface HeraldContext {
    /** Wakes this process's task runners when a task is created (built by the runtime). */
    readonly taskWakeups: TaskWakeups;
  }
}
