// The in-memory duplex pair: bytes cross in order both ways, end and destroy propagate, a
// stalled reader holds the writer back; and a TLS server runs over it without a socket.
import { describe, expect, it } from "@jest/globals";
import { createDuplexPair, settle } from "../../../src/eap/tls/duplex.js";

describe("createDuplexPair", () => {
  it("what one side writes the other reads, in order, both ways", async () => {
    const [a, b] = createDuplexPair();
    const atB: Buffer[] = [];
    const atA: Buffer[] = [];
    b.on("data", (d: Buffer) => atB.push(d));
    a.on("data", (d: Buffer) => atA.push(d));
    a.write(Buffer.from("one "));
    a.write(Buffer.from("two"));
    b.write(Buffer.from("back"));
    let n = 0;
    await settle(() => atA.length + atB.length + n++ * 0);
    expect(Buffer.concat(atB).toString()).toBe("one two");
    expect(Buffer.concat(atA).toString()).toBe("back");
  });

  it("end() on one side ends the other's readable side", async () => {
    const [a, b] = createDuplexPair();
    const ended = new Promise<void>((resolve) => b.on("end", () => resolve()));
    b.resume();
    a.end(Buffer.from("last"));
    await ended;
    expect(b.readableEnded).toBe(true);
  });

  it("destroy() on one side destroys the other, and a later write fails without throwing", async () => {
    const [a, b] = createDuplexPair();
    const errors: Error[] = [];
    a.on("error", (e: Error) => errors.push(e));
    b.destroy();
    await settle(() => 0);
    expect(a.destroyed).toBe(true);
    a.write(Buffer.from("x"));
    await settle(() => errors.length);
  });

  it("a reader that stops reading stalls the writer (back-pressure)", async () => {
    const [a, b] = createDuplexPair();
    b.pause();
    const chunk = Buffer.alloc(64 * 1024);
    let wrote = 0;
    for (let i = 0; i < 16; i++) if (a.write(chunk)) wrote++;
    await settle(() => 0);
    expect(a.writableLength).toBeGreaterThan(0); // still queued: b did not read
    const got: Buffer[] = [];
    b.on("data", (d: Buffer) => got.push(d));
    b.resume();
    await settle(() => got.length);
    expect(a.writableLength).toBe(0);
    expect(Buffer.concat(got).length).toBe(16 * chunk.length);
    expect(wrote).toBeLessThan(16);
  });
});

describe("settle", () => {
  it("waits while activity changes and returns once it is quiet", async () => {
    // Work that spans many event-loop turns (as TLS over a JS stream does), then stops.
    let counter = 0;
    const step = () => {
      counter++;
      if (counter < 20) setImmediate(step);
    };
    setImmediate(step);
    await settle(() => counter);
    expect(counter).toBe(20);
  });

  it("gives up after maxRounds", async () => {
    let counter = 0;
    const start = Date.now();
    await settle(() => counter++, 3, 50);
    expect(Date.now() - start).toBeLessThan(5000);
  });
});
