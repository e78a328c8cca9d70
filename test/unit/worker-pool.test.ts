import { describe, it, expect, afterAll } from "@jest/globals";
import { WorkerPool, WorkerPoolError } from "../../src/pipeline/worker-pool.js";
import { HandlerRegistry } from "../../src/pipeline/handlers.js";
import { hashPassword, verifyPasswordHash, parsePhc } from "../../src/handle/password-hash.js";

const FAST = { ln: 10, r: 8, p: 1 };

describe("password hashes (scrypt PHC)", () => {
  it("verifies the right password and refuses a wrong one", () => {
    const phc = hashPassword("correct horse", FAST);
    expect(parsePhc(phc)?.params).toEqual(FAST);
    expect(verifyPasswordHash({ password: Buffer.from("correct horse"), phc })).toBe("match");
    expect(verifyPasswordHash({ password: Buffer.from("correct hors"), phc })).toBe("mismatch");
  });

  it("refuses hostile or malformed hash strings instead of computing them", () => {
    expect(verifyPasswordHash({ password: Buffer.from("x"), phc: "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g" })).toBe("bad-hash");
    expect(verifyPasswordHash({ password: Buffer.from("x"), phc: "plain" })).toBe("bad-hash");
  });
});

describe("worker pool and handler placement", () => {
  let now = 0;
  const pool = new WorkerPool({ size: 1, maxQueue: 2, now: () => now });
  afterAll(() => pool.close());

  it("runs a worker-placed handler off the event loop with the same call shape as inline", async () => {
    const registry = new HandlerRegistry(pool);
    const worker = registry.register<{ password: Uint8Array; phc: string }, string>({
      name: "hash",
      placement: "worker",
      module: new URL("../../src/handle/password-hash.ts", import.meta.url),
      exportName: "verifyPasswordHash",
    });
    const inline = registry.register<number, number>({ name: "double", placement: "inline", run: (n) => n * 2 });
    expect(registry.list()).toEqual([
      { name: "hash", placement: "worker" },
      { name: "double", placement: "inline" },
    ]);
    const phc = hashPassword("pw", FAST);
    await expect(worker.invoke({ password: Buffer.from("pw"), phc }, 1e9)).resolves.toBe("match");
    await expect(inline.invoke(21, 1e9)).resolves.toBe(42);
    expect(() => registry.register({ name: "double", placement: "inline", run: (n: number) => n })).toThrow(/already registered/);
  });

  it("refuses work beyond its queue bound and drops queued work whose deadline passed", async () => {
    const phc = hashPassword("pw", { ln: 14, r: 8, p: 1 });
    const input = { password: Buffer.from("pw"), phc };
    const running = pool.run("" + new URL("../../src/handle/password-hash.ts", import.meta.url), "verifyPasswordHash", input, 1e9);
    const q1 = pool.run("" + new URL("../../src/handle/password-hash.ts", import.meta.url), "verifyPasswordHash", input, 5);
    const q2 = pool.run("" + new URL("../../src/handle/password-hash.ts", import.meta.url), "verifyPasswordHash", input, 1e9);
    const q3 = pool.run("" + new URL("../../src/handle/password-hash.ts", import.meta.url), "verifyPasswordHash", input, 1e9);
    await expect(q3).rejects.toMatchObject({ code: "WORKER_QUEUE_FULL" });
    now = 10; // q1's deadline passes while it waits
    await expect(running).resolves.toBe("match");
    await expect(q1).rejects.toBeInstanceOf(WorkerPoolError);
    await expect(q2).resolves.toBe("match");
    expect(pool.stats.expired).toBe(1);
    expect(pool.stats.refused).toBe(1);
  });
});
