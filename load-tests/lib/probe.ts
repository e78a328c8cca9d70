// One-request RADIUS probe: used to wait until a server under test really answers (correct
// secret, data loaded) before any load is offered, so that start-up never counts as loss.
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { buildRequests, ReplyVerifier, type RequestMode, type UserRecord } from "./radius.js";

export interface ProbeOptions {
  host: string;
  port: number;
  secret: string;
  mode: RequestMode;
  user?: UserRecord;
  timeoutMs: number;
}

export interface ProbeResult {
  /** Reply code (2 Access-Accept, 3 Access-Reject, ...), or null without a valid reply. */
  code: number | null;
  /** Set when a reply came but did not verify (wrong secret on one side). */
  badReply: boolean;
  ms: number;
}

export async function probe(o: ProbeOptions): Promise<ProbeResult> {
  const family = isIPv6(o.host) ? "udp6" : "udp4";
  const secret = Buffer.from(o.secret, "utf8");
  const store = buildRequests({
    count: 1,
    ports: 1,
    mode: o.mode,
    secret,
    users: o.user ? [o.user] : [],
    userOf: () => 0,
    nasIp: family === "udp4" ? Buffer.from([127, 0, 0, 1]) : null,
  });
  const verifier = new ReplyVerifier(secret);
  const sock = dgram.createSocket(family);
  const t0 = performance.now();
  try {
    return await new Promise<ProbeResult>((resolve) => {
      const timer = setTimeout(() => resolve({ code: null, badReply: false, ms: performance.now() - t0 }), o.timeoutMs);
      sock.on("error", () => {
        // ECONNREFUSED while the server is starting: keep waiting for the timeout.
      });
      sock.on("message", (msg: Buffer) => {
        if (msg.length < 20 || msg[1] !== store.buf[1]) return;
        clearTimeout(timer);
        const flags = verifier.verify(msg, store.buf, 4);
        resolve({ code: (flags & 7) === 0 ? msg[0]! : null, badReply: (flags & 7) !== 0, ms: performance.now() - t0 });
      });
      sock.send(store.buf, 0, store.length[0]!, o.port, o.host);
    });
  } finally {
    sock.close();
  }
}

/**
 * Probe every 200 ms until a valid reply arrives or timeoutMs passes. Throws with the reason
 * (no answer, bad authenticator, unexpected code) so a benchmark fails with a clear message.
 */
export async function waitUntilAnswering(o: Omit<ProbeOptions, "timeoutMs"> & { timeoutMs: number; expectCode?: number; alive?: () => boolean }): Promise<ProbeResult> {
  const end = Date.now() + o.timeoutMs;
  let last: ProbeResult = { code: null, badReply: false, ms: 0 };
  for (;;) {
    last = await probe({ ...o, timeoutMs: 300 });
    if (last.code !== null) {
      if (o.expectCode !== undefined && last.code !== o.expectCode) {
        throw new Error(`${o.host}:${o.port} answered code ${last.code}, expected ${o.expectCode}${o.user ? ` for ${o.user.username}` : ""} (data not loaded? wrong password layout?)`);
      }
      return last;
    }
    if (o.alive && !o.alive()) throw new Error(`server process for ${o.host}:${o.port} exited before answering`);
    if (Date.now() > end) {
      throw new Error(
        last.badReply
          ? `${o.host}:${o.port} replies do not verify: shared secret mismatch?`
          : `${o.host}:${o.port} did not answer a ${o.mode === "pap" ? "PAP Access-Request" : "Status-Server"} within ${o.timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
