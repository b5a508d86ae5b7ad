import { describe, expect, it } from "vitest";
import { Hook } from "../../src/lib/hooks.ts";

describe("hooks", () => {
  it("runs the handlers one after the other, in the order attached, and returns when all are done", async () => {
    const hook = new Hook<{ log: string[] }, number>("test.order");
    hook.on(async ({ log }) => {
      // Yields several times: a second handler started alongside would log first.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      log.push("first");
      return 1;
    });
    hook.on(async ({ log }) => {
      log.push("second");
      return 2;
    });
    const log: string[] = [];
    expect(await hook.emit({ log })).toEqual([1, 2]);
    expect(log).toEqual(["first", "second"]);
  });

  it("hands a handler's error to the emitter, and runs no later handler", async () => {
    const hook = new Hook<{ log: string[] }>("test.error");
    hook.on(async () => {
      throw new Error("refused");
    });
    hook.on(async ({ log }) => {
      log.push("ran");
    });
    const log: string[] = [];
    await expect(hook.emit({ log })).rejects.toThrow("refused");
    expect(log).toEqual([]);
  });

  it("asks exactly one handler, and refuses a hook with none or two", async () => {
    const hook = new Hook<number, number>("test.ask");
    await expect(hook.ask(1)).rejects.toThrow("test.ask has 0 handlers");
    hook.on(async (n) => n + 1);
    expect(await hook.ask(1)).toBe(2);
    hook.on(async (n) => n + 2);
    await expect(hook.ask(1)).rejects.toThrow("test.ask has 2 handlers");
  });
});
