/**
 * A hook is where one domain says that something happened, so that others can
 * react without it calling them: it knows none of them. The domain that causes
 * the change owns the hook and emits it; the reacting domains' handlers are
 * attached in one place, src/hooks.ts, which docs/architecture.md lists.
 *
 * Handlers run one after the other, in the order they were attached, and are
 * awaited: when `emit` returns, every reaction is done, and a handler's error
 * reaches the emitter, as a direct call's would (requests answer with the
 * reaction's result in D1, as before).
 */
export class Hook<Payload, Result = void> {
  readonly #handlers: ((payload: Payload) => Promise<Result>)[] = [];

  constructor(readonly name: string) {}

  /** Attaches a reaction; only src/hooks.ts does, once per isolate. */
  on(handler: (payload: Payload) => Promise<Result>): void {
    this.#handlers.push(handler);
  }

  /** Runs every reaction; fails if src/hooks.ts was never loaded, rather than reacting to nothing. */
  async emit(payload: Payload): Promise<Result[]> {
    if (!wired) throw new Error(`hook ${this.name} emitted before src/hooks.ts attached its handlers`);
    const results: Result[] = [];
    for (const handler of this.#handlers) results.push(await handler(payload));
    return results;
  }

  /** For a hook that exactly one domain answers (what a payment bought is handed over by the one domain that sold it). */
  async ask(payload: Payload): Promise<Result> {
    if (this.#handlers.length !== 1) throw new Error(`hook ${this.name} has ${this.#handlers.length} handlers; it needs exactly one`);
    const [result] = await this.emit(payload);
    return result!;
  }
}

let wired = false;

/** Called by src/hooks.ts once it has attached every handler. */
export function hooksWired(): void {
  wired = true;
}
