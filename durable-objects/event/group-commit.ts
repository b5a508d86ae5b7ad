/**
 * Group commit for the EventDO's contended writes (gate scans, order holds).
 * Every request that arrives while a pass is pending waits for it; the pass
 * decides them all in arrival order, synchronously, in one transaction, so
 * they share one commit of the object's storage instead of one commit each
 * (a commit costs more than a decision). Nothing runs between two decisions
 * of a pass, so each sees the state the one before it left, exactly as if
 * they had come one by one.
 *
 * A pass decides its requests `perSavepoint` at a time, each group in a
 * savepoint of the pass's transaction (`transactionSync`), still in arrival
 * order and still one commit. SQLite copies every page a savepoint changes to
 * its statement journal, in memory up to 64 KiB and past that into a
 * temporary file created, written and deleted for the transaction: with the
 * whole pass in one savepoint, 689 of a bench:gate round's 1,059 passes (about
 * ten scans, 25 pages each) wrote that file.
 *
 * If a group throws (a bug), it is rolled back whole and each of its requests
 * is decided again in a savepoint of its own: the others stand and only the
 * faulty one fails, with nothing half-written. Answers leave once the commit
 * is durable (the output gate holds them until then).
 *
 * `options.measured`, if given, learns after each pass (its requests answered) how
 * many requests it decided and how long they waited for it in all (from
 * `submit` to the pass, by the object's clock): hold-load.ts makes the hold
 * path's load of it.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; at: number; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];

  /**
   * `decide` takes a group's inputs and returns one output each, inside its
   * savepoint; `settled` runs after every pass with the outputs it gave;
   * `options.perSavepoint` bounds a group (by default a pass is one group).
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly decide: (inputs: In[]) => Out[],
    private readonly settled: (outputs: Out[]) => void = () => {},
    private readonly options: { measured?: (count: number, waitMs: number, at: number) => void; perSavepoint?: number } = {},
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, at: Date.now(), resolve, reject });
      if (this.queue.length === 1) setTimeout(() => this.pass(), 0);
    });
  }

  private pass(): void {
    const queue = this.queue;
    this.queue = [];
    // The object's clock stands still while the pass runs: this is when it decides them.
    const at = Date.now();
    const outputs: Out[] = [];
    const perSavepoint = Math.max(1, this.options.perSavepoint ?? queue.length);
    for (let from = 0; from < queue.length; from += perSavepoint) {
      const group = queue.slice(from, from + perSavepoint);
      let decided: Out[] | undefined;
      try {
        decided = this.storage.transactionSync(() => this.decide(group.map((q) => q.input)));
      } catch {
        decided = undefined;
      }
      if (decided) {
        decided.forEach((output, i) => {
          outputs.push(output);
          group[i]!.resolve(output);
        });
        continue;
      }
      for (const q of group) {
        try {
          const [output] = this.storage.transactionSync(() => this.decide([q.input]));
          outputs.push(output!);
          q.resolve(output!);
        } catch (error) {
          q.reject(error);
        }
      }
    }
    this.settled(outputs);
    if (this.options.measured) {
      let waitMs = 0;
      for (const q of queue) waitMs += at - q.at;
      this.options.measured(queue.length, waitMs, at);
    }
  }
}
