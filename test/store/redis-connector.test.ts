// The stores' ioredis connector keeps a listener on the stream: a second "error" (a TLS alert,
// then the broken write) must not be an unheard event that ends the process.
import { describe, it, expect } from "@jest/globals";
import net from "node:net";
import { GuardedConnector } from "../../src/store/redis-connector.js";

describe("GuardedConnector", () => {
  it("connects as ioredis's own, keeps the first error for ioredis, and hears every later one", async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const c = new GuardedConnector({ host: "127.0.0.1", port, disconnectTimeout: 100 });
      const stream = await c.connect();
      const heard: string[] = [];
      stream.once("error", (e: Error) => heard.push(e.message)); // as ioredis listens
      stream.emit("error", new Error("alert"));
      expect(() => stream.emit("error", new Error("EPIPE"))).not.toThrow();
      expect(heard).toEqual(["alert"]);
      expect(c.firstError?.message).toBe("alert");
      c.disconnect();
    } finally {
      server.close();
    }
  });

  it("refuses to connect after disconnect() came first", async () => {
    const c = new GuardedConnector({ host: "127.0.0.1", port: 1, disconnectTimeout: 100 });
    const p = c.connect();
    c.disconnect();
    await expect(p).rejects.toThrow("Connection is closed.");
  });
});
