// Trivial RADIUS responder for calibrating the load generator: it answers every Access-Request
// and Status-Server with an Access-Accept (Message-Authenticator first, then Session-Timeout)
// carrying a correct Response Authenticator, and does nothing else. Whatever rate the
// generator reaches against it is the generator's own ceiling, not a server's.
//
// --verify additionally checks each request with node:crypto (not the MD5 of src/radius/md5.ts
// that the generator uses): the request Message-Authenticator over the bytes received and the User-Password
// against the generated population's "pw-<username>" (or a --users file). It is the
// independent cross-check of the generator's packet building; it costs speed, so calibrate
// without it.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { isIPv6 } from "node:net";
import { flag, num, optStr, parse, str } from "./lib/args.js";
import { HmacMd5, Md5 } from "../src/radius/md5.js";
import {
  ATTR_MESSAGE_AUTHENTICATOR,
  ATTR_SESSION_TIMEOUT,
  ATTR_USER_NAME,
  ATTR_USER_PASSWORD,
  CODE_ACCESS_ACCEPT,
  CODE_ACCESS_REQUEST,
  CODE_STATUS_SERVER,
  loadUsersFile,
  parseHostPort,
  passwordFor,
} from "./lib/radius.js";

const USAGE = `Usage: npx tsx load-tests/echo-responder.ts [options]

  --listen HOST:PORT   where to listen (default 127.0.0.1:18999)
  --secret S           shared secret (default testing123)
  --verify             check request Message-Authenticator and User-Password (node:crypto)
  --users FILE         passwords for --verify (default: "pw-<username>")
  --max-rate R         answer at most R requests/s and silently drop the rest, like a server
                       at capacity (token bucket, burst R/100); default: answer everything
  --rcvbuf BYTES       SO_RCVBUF (default 4194304)
  --max-seconds S      exit by itself after S seconds (default 900)
  --quiet              no per-second counters on stderr
`;

const args = parse(
  {
    listen: { type: "string" },
    secret: { type: "string" },
    verify: { type: "boolean" },
    users: { type: "string" },
    rcvbuf: { type: "string" },
    "max-rate": { type: "string" },
    "max-seconds": { type: "string" },
    quiet: { type: "boolean" },
  },
  USAGE,
);
const { host, port } = parseHostPort(str(args, "listen", "127.0.0.1:18999"), 18999);
const secret = Buffer.from(str(args, "secret", "testing123"), "utf8");
const verify = flag(args, "verify");
const quiet = flag(args, "quiet");
const usersFile = optStr(args, "users");
const passwords = usersFile ? new Map(loadUsersFile(usersFile).map((u) => [u.username, u.password])) : null;
const md5 = new Md5();
const mac = new HmacMd5();
const REPLY_LEN = 20 + 18 + 6;
const maxRate = num(args, "max-rate", 0, { min: 0 });
const burst = Math.max(1, maxRate / 100);
let tokens = burst;
let lastRefill = performance.now();

let answered = 0;
let dropped = 0;
let shed = 0;
let badRequestMA = 0;
let badPassword = 0;
let total = 0;

/** Independent check of one request; returns a reason to drop it, or null. */
function checkRequest(msg: Buffer, len: number): string | null {
  let ma = -1;
  let name: Buffer | null = null;
  let pw: Buffer | null = null;
  for (let p = 20; p < len; ) {
    const t = msg[p]!;
    const al = msg[p + 1]!;
    if (al < 2 || p + al > len) return "malformed";
    if (t === ATTR_MESSAGE_AUTHENTICATOR && al === 18) ma = p;
    if (t === ATTR_USER_NAME) name = msg.subarray(p + 2, p + al);
    if (t === ATTR_USER_PASSWORD) pw = msg.subarray(p + 2, p + al);
    p += al;
  }
  if (ma < 0) return "ma";
  const copy = Buffer.from(msg.subarray(0, len));
  copy.fill(0, ma + 2, ma + 18);
  const want = createHmac("md5", secret).update(copy).digest();
  if (!timingSafeEqual(want, msg.subarray(ma + 2, ma + 18))) return "ma";
  if (msg[0] === CODE_ACCESS_REQUEST) {
    if (!name || !pw || pw.length % 16 !== 0) return "password";
    const plain = Buffer.alloc(pw.length);
    let prev = msg.subarray(4, 20);
    for (let i = 0; i < pw.length; i += 16) {
      const b = createHash("md5").update(secret).update(prev).digest();
      for (let j = 0; j < 16; j++) plain[i + j] = pw[i + j]! ^ b[j]!;
      prev = pw.subarray(i, i + 16);
    }
    const end = plain.indexOf(0);
    const got = (end < 0 ? plain : plain.subarray(0, end)).toString("utf8");
    const username = name.toString("utf8");
    const expected = passwords ? passwords.get(username) : passwordFor(username);
    if (got !== expected) return "password";
  }
  return null;
}

const sock = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4", recvBufferSize: num(args, "rcvbuf", 4 << 20, { min: 4096, int: true }) });
sock.on("message", (msg, rinfo) => {
  total++;
  if (msg.length < 20) {
    dropped++;
    return;
  }
  const code = msg[0];
  const len = (msg[2]! << 8) | msg[3]!;
  if ((code !== CODE_ACCESS_REQUEST && code !== CODE_STATUS_SERVER) || len < 20 || len > msg.length) {
    dropped++;
    return;
  }
  if (maxRate > 0) {
    const now = performance.now();
    tokens = Math.min(burst, tokens + ((now - lastRefill) * maxRate) / 1000);
    lastRefill = now;
    if (tokens < 1) {
      shed++;
      return;
    }
    tokens -= 1;
  }
  if (verify) {
    const why = checkRequest(msg, len);
    if (why !== null) {
      if (why === "password") badPassword++;
      else badRequestMA++;
      dropped++;
      return;
    }
  }
  // The reply is built with the Request Authenticator in place, MA computed over that
  // (RFC 3579 §3.2), then the Response Authenticator over the finished packet (RFC 2865 §3).
  const r = Buffer.allocUnsafe(REPLY_LEN + secret.length);
  r[0] = CODE_ACCESS_ACCEPT;
  r[1] = msg[1]!;
  r[2] = 0;
  r[3] = REPLY_LEN;
  msg.copy(r, 4, 4, 20);
  r[20] = ATTR_MESSAGE_AUTHENTICATOR;
  r[21] = 18;
  r.fill(0, 22, 38);
  r[38] = ATTR_SESSION_TIMEOUT;
  r[39] = 6;
  r.writeUInt32BE(3600, 40);
  mac.begin(secret).update(r, 0, REPLY_LEN).digestInto(r, 22);
  secret.copy(r, REPLY_LEN);
  md5.reset().update(r, 0, REPLY_LEN + secret.length).digestInto(r, 4);
  sock.send(r, 0, REPLY_LEN, rinfo.port, rinfo.address);
  answered++;
});
sock.on("error", (err) => {
  process.stderr.write(`echo-responder: ${err.message}\n`);
  process.exit(1);
});
sock.bind(port, host, () => {
  process.stderr.write(`echo-responder listening on ${host}:${port}${verify ? " (verifying requests)" : ""}\n`);
});

let last = 0;
const ticker = setInterval(() => {
  if (!quiet && total !== last) {
    process.stderr.write(`echo-responder: ${answered} answered, ${shed} shed, ${dropped} dropped (bad MA ${badRequestMA}, bad password ${badPassword}), +${total - last}/s\n`);
  }
  last = total;
}, 1000);
const stop = (): void => {
  clearInterval(ticker);
  process.stderr.write(`echo-responder: done: ${answered} answered, ${shed} shed, ${dropped} dropped (bad MA ${badRequestMA}, bad password ${badPassword})\n`);
  sock.close();
  process.exit(0);
};
setTimeout(stop, num(args, "max-seconds", 900, { min: 1 }) * 1000).unref();
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
