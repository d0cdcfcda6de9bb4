/**
 * Tiny event primitives for the engine (src/core must not import `vscode`). Shaped like VS Code's own
 * `Event<T>` / `Disposable`, so the extension can adapt them one to one.
 */

export interface Disposable {
  dispose(): void;
}

export type Event<T> = (listener: (value: T) => void) => Disposable;

/** A private emitter behind a read-only `event`: owners call fire(), others subscribe. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(value: T) => void>();
  private current?: Array<(value: T) => void>;
  private disposed = false;

  readonly event: Event<T> = (listener) => {
    if (this.disposed) return { dispose: () => undefined };
    this.listeners.add(listener);
    this.current = undefined;
    return {
      dispose: () => {
        if (this.listeners.delete(listener)) this.current = undefined;
      },
    };
  };

  fire(value: T): void {
    // The listeners as of now (a listener added while firing hears only later values), kept until they change: an
    // event per job state is fired thousands of times a second.
    const listeners = (this.current ??= [...this.listeners]);
    for (const listener of listeners) {
      try {
        listener(value);
      } catch {
        // A listener's failure must not break the engine or the other listeners.
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
    this.current = undefined;
  }
}
