/**
 * Group commit for the EventDO's contended writes (gate scans, order holds).
 * Every request that arrives while a pass is pending waits for it; the pass
 * decides them all in arrival order, synchronously, in one transaction, so
 * they share one commit of the object's storage instead of one commit each
 * (a commit costs more than a decision). Nothing runs between two decisions
 * of a pass, so each sees the state the one before it left, exactly as if
 * they had come one by one.
 *
 * If a pass throws (a bug), it is rolled back whole and each request is
 * decided again in a pass of its own: the others stand and only the faulty
 * one fails, with nothing half-written. Answers leave once the commit is
 * durable (the output gate holds them until then).
 *
 * `measured`, if given, learns after each pass (its requests answered) how
 * many requests it decided and how long they waited for it in all (from
 * `submit` to the pass, by the object's clock): hold-load.ts makes the hold
 * path's load of it.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; at: number; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];

  /**
   * `decide` takes the pass's inputs and returns one output each, inside the
   * transaction; `settled` runs after every pass with the outputs it gave.
   */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly decide: (inputs: In[]) => Out[],
    private readonly settled: (outputs: Out[]) => void = () => {},
    private readonly measured?: (count: number, waitMs: number, at: number) => void,
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
    let outputs: Out[];
    try {
      outputs = this.storage.transactionSync(() => this.decide(queue.map((q) => q.input)));
      outputs.forEach((output, i) => queue[i]!.resolve(output));
    } catch {
      outputs = [];
      for (const q of queue) {
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
    if (this.measured) {
      let waitMs = 0;
      for (const q of queue) waitMs += at - q.at;
      this.measured(queue.length, waitMs, at);
    }
  }
}
