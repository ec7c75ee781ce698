import { BroadcastChannel } from 'node:worker_threads';

/**
 * A signal heard by this thread's listeners and, when it has a channel name, by every other
 * thread of the process listening on the same name (`herald serve` runs its worker on a thread of
 * its own beside the API, src/cli/worker-thread.ts). Without a name it stays in the thread, and
 * costs nothing more: only threads that share a database need the channel.
 */
export class ThreadSignal<T> {
  readonly #listeners = new Set<(value: T) => void>();
  readonly #channel: BroadcastChannel | null;

  constructor(channelName: string | null) {
    this.#channel = channelName === null ? null : new BroadcastChannel(channelName);
    if (this.#channel) {
      // A channel never hears its own messages: this thread's listeners are called directly.
      this.#channel.onmessage = (event) => this.#notify((event as MessageEvent).data as T);
      this.#channel.unref();
    }
  }

  emit(value: T): void {
    this.#notify(value);
    this.#channel?.postMessage(value);
  }

  /** Calls `listener` on every signal until the returned function is called. */
  on(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#channel?.close();
  }

  #notify(value: T): void {
    for (const listener of this.#listeners) listener(value);
  }
}
