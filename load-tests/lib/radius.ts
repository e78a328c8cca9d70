// RADIUS packet building and reply checking for the load tools: an implementation of its own,
// independent of src/radius's codec on purpose, so that a load run doubles as a cross-check of
// the server's (RFC 2865 §3 authenticators, §5.2 User-Password, RFC 3579 §3.2 and RFC 2869
// §5.14 Message-Authenticator, RFC 5997 Status-Server). Only the MD5 primitive is the server's
// (src/radius/md5.ts, checked against RFC 1321 / RFC 2104 vectors and node:crypto).
import { randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { HmacMd5, Md5 } from "../../src/radius/md5.js";

// One context of each kind: every use runs begin-to-digest without yielding.
const h = new Md5();
const mac = new HmacMd5();

export const CODE_ACCESS_REQUEST = 1;
export const CODE_ACCESS_ACCEPT = 2;
export const CODE_ACCESS_REJECT = 3;
export const CODE_ACCESS_CHALLENGE = 11;
export const CODE_STATUS_SERVER = 12;
export const CODE_ACCOUNTING_REQUEST = 4;
export const CODE_ACCOUNTING_RESPONSE = 5;

export const ATTR_USER_NAME = 1;
export const ATTR_USER_PASSWORD = 2;
export const ATTR_NAS_IP_ADDRESS = 4;
export const ATTR_SESSION_TIMEOUT = 27;
export const ATTR_NAS_IDENTIFIER = 32;
export const ATTR_MESSAGE_AUTHENTICATOR = 80;
export const ATTR_FRAMED_IP_ADDRESS = 8;
export const ATTR_ACCT_STATUS_TYPE = 40;
export const ATTR_ACCT_INPUT_OCTETS = 42;
export const ATTR_ACCT_OUTPUT_OCTETS = 43;
export const ATTR_ACCT_SESSION_ID = 44;
export const ATTR_ACCT_SESSION_TIME = 46;

const MAX_PACKET = 4096;

// ---------------------------------------------------------------------------------------------
// Subscribers. The generated population is the contract between the generator, seed-redis.ts
// and any server data built for a benchmark: user000001 .. userNNNNNN, password "pw-<name>".

export interface UserRecord {
  readonly username: string;
  readonly password: string;
}

/** Username of the i-th generated subscriber (1-based): prefix + at least 6 digits. */
export function usernameFor(i: number, prefix = "user"): string {
  return prefix + String(i).padStart(6, "0");
}

/** Password of a generated subscriber: deterministic so any tool can rebuild the data set. */
export function passwordFor(username: string): string {
  return `pw-${username}`;
}

export function generatedUsers(count: number, prefix = "user"): UserRecord[] {
  const users: UserRecord[] = new Array<UserRecord>(count);
  for (let i = 0; i < count; i++) {
    const username = usernameFor(i + 1, prefix);
    users[i] = { username, password: passwordFor(username) };
  }
  return users;
}

/**
 * Users file: one subscriber per line, as a JSON object with username/password (the JSONL
 * written by seed-redis.ts --jsonl), or `username [password]` separated by blanks; a missing
 * password is derived with passwordFor(). Blank lines and lines starting with # are skipped.
 */
export function loadUsersFile(file: string): UserRecord[] {
  const users: UserRecord[] = [];
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("{")) {
      const rec = JSON.parse(line) as { username?: unknown; password?: unknown };
      if (typeof rec.username !== "string" || typeof rec.password !== "string") {
        throw new Error(`${file}:${n + 1}: JSON line without string username/password`);
      }
      users.push({ username: rec.username, password: rec.password });
    } else {
      const [username, password] = line.split(/\s+/, 2) as [string, string | undefined];
      users.push({ username, password: password ?? passwordFor(username) });
    }
  }
  if (users.length === 0) throw new Error(`${file}: no users`);
  return users;
}

// ---------------------------------------------------------------------------------------------
// Request building.

export type RequestMode = "pap" | "status" | "acct";

/** Packets laid back to back in one buffer: cheap to hold hundreds of thousands of them. */
export interface PacketStore {
  readonly buf: Buffer;
  readonly offset: Uint32Array;
  readonly length: Uint16Array;
  readonly count: number;
}

export interface BuildOptions {
  readonly count: number;
  /** Number of source sockets P: packet k carries Identifier floor(k / P) % 256. */
  readonly ports: number;
  readonly mode: RequestMode;
  readonly secret: Buffer;
  readonly users: readonly UserRecord[];
  /** User index for packet k (only read in pap mode). */
  readonly userOf: (k: number) => number;
  /** NAS-IP-Address to put in each request (4 bytes), or null for none. */
  readonly nasIp: Buffer | null;
}

/** Identifier of packet k when packets are dealt round-robin over `ports` sockets. */
export function identifierOf(k: number, ports: number): number {
  return Math.floor(k / ports) & 0xff;
}

interface EncodedUser {
  readonly name: Buffer;
  readonly password: Buffer;
  /** Length of the hidden User-Password value: a multiple of 16, at least 16. */
  readonly hiddenLen: number;
}

function encodeUsers(users: readonly UserRecord[]): EncodedUser[] {
  return users.map((u) => {
    const name = Buffer.from(u.username, "utf8");
    const password = Buffer.from(u.password, "utf8");
    if (name.length < 1 || name.length > 253) throw new Error(`username of ${name.length} bytes: ${u.username}`);
    if (password.length > 128) throw new Error(`password over 128 bytes for ${u.username}`);
    return { name, password, hiddenLen: Math.max(16, Math.ceil(password.length / 16) * 16) };
  });
}

/**
 * Build every request of a run ahead of time: each gets its own random Request Authenticator,
 * its User-Password hidden with it and its HMAC-MD5 Message-Authenticator (placed first, as
 * BlastRADIUS mitigations prefer), so the send loop does nothing but socket.send.
 */
export function buildRequests(o: BuildOptions): PacketStore {
  const users = o.mode === "pap" ? encodeUsers(o.users) : [];
  const offset = new Uint32Array(o.count);
  const length = new Uint16Array(o.count);
  const userIdx = new Uint32Array(o.mode === "pap" ? o.count : 0);

  // First pass: sizes (packets differ only by username and password length).
  const fixed = 20 + 18 + (o.nasIp ? 6 : 0);
  let total = 0;
  for (let k = 0; k < o.count; k++) {
    let len = fixed;
    if (o.mode === "pap") {
      const u = o.userOf(k);
      const eu = users[u];
      if (!eu) throw new Error(`userOf(${k}) = ${u} is out of range`);
      userIdx[k] = u;
      len += 2 + eu.name.length + 2 + eu.hiddenLen;
    }
    if (len > MAX_PACKET) throw new Error(`packet ${k} would be ${len} bytes`);
    offset[k] = total;
    length[k] = len;
    total += len;
  }

  const buf = Buffer.alloc(total);
  // Request Authenticators: one bulk draw from the CSPRNG rather than one call per packet.
  const auths = Buffer.allocUnsafe(16 * o.count);
  randomFillSync(auths);
  const secret = o.secret;
  const sl = secret.length;
  const hashIn = Buffer.alloc(sl + 16);
  secret.copy(hashIn, 0);
  const pad = Buffer.alloc(16);
  const code = o.mode === "pap" ? CODE_ACCESS_REQUEST : CODE_STATUS_SERVER;

  for (let k = 0; k < o.count; k++) {
    const start = offset[k]!;
    const len = length[k]!;
    buf[start] = code;
    buf[start + 1] = identifierOf(k, o.ports);
    buf.writeUInt16BE(len, start + 2);
    auths.copy(buf, start + 4, 16 * k, 16 * k + 16);
    let p = start + 20;
    const maPos = p;
    buf[p] = ATTR_MESSAGE_AUTHENTICATOR;
    buf[p + 1] = 18;
    p += 18; // value stays zero until the HMAC below (RFC 3579 §3.2)
    if (o.mode === "pap") {
      const u = users[userIdx[k]!]!;
      buf[p] = ATTR_USER_NAME;
      buf[p + 1] = 2 + u.name.length;
      u.name.copy(buf, p + 2);
      p += 2 + u.name.length;
      buf[p] = ATTR_USER_PASSWORD;
      buf[p + 1] = 2 + u.hiddenLen;
      p += 2;
      // RFC 2865 §5.2: b1 = MD5(S + RA), c(1) = p1 xor b1; bi = MD5(S + c(i-1)).
      buf.copy(hashIn, sl, start + 4, start + 20);
      for (let blk = 0; blk < u.hiddenLen; blk += 16) {
        h.reset().update(hashIn, 0, sl + 16).digestInto(pad, 0);
        for (let i = 0; i < 16; i++) {
          const pw = blk + i < u.password.length ? u.password[blk + i]! : 0;
          const c = pw ^ pad[i]!;
          buf[p + i] = c;
          hashIn[sl + i] = c;
        }
        p += 16;
      }
    }
    if (o.nasIp) {
      buf[p] = ATTR_NAS_IP_ADDRESS;
      buf[p + 1] = 6;
      o.nasIp.copy(buf, p + 2);
      p += 6;
    }
    mac.begin(o.secret).update(buf, start, start + len).digestInto(buf, maPos + 2);
  }
  return { buf, offset, length, count: o.count };
}

// ---------------------------------------------------------------------------------------------
// Accounting (RFC 2866): a population of sessions, each a Start, Interim-Updates, then a Stop.

export const ACCT_START = 1;
export const ACCT_STOP = 2;
export const ACCT_INTERIM = 3;
export const ACCT_KIND_NAMES: Record<number, string> = { 1: "start", 2: "stop", 3: "interim" };

export interface AcctBuildOptions {
  readonly count: number;
  readonly ports: number;
  readonly secret: Buffer;
  readonly users: readonly UserRecord[];
  /** Concurrent session slots; each request picks one uniformly at random. */
  readonly sessions: number;
  /** Chance that a request for a live session is its Stop (the slot then starts a new one). */
  readonly stopRatio: number;
  readonly seed: number;
  /** Prefix of every Acct-Session-Id (distinct per run so runs do not see each other's sessions). */
  readonly sessionPrefix: string;
  readonly nasIp: Buffer | null;
  /**
   * Slots begin with a live session (as if the NAS had been up for a while), so the run is mostly
   * Interim-Updates from the first second; the server opens a session it learns of by an
   * Interim-Update. Otherwise every slot's first request is a Start.
   */
  readonly prestarted?: boolean;
}

/** What each accounting request carries, so answered ones can be checked in Redis afterwards. */
export interface AcctMeta {
  readonly kind: Uint8Array;
  readonly slot: Uint32Array;
  readonly generation: Uint32Array;
  readonly sessionTime: Uint32Array;
  sessionId(k: number): string;
  user(k: number): string;
}

/**
 * Build every Accounting-Request of a run: for request k a session slot is drawn; a slot with no
 * session sends Start, a live one an Interim-Update (Acct-Session-Time += 60 s, octet counters
 * growing with it) or, with probability stopRatio, a Stop. The Request Authenticator is
 * MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret) (RFC 2866 §3).
 */
export function buildAccounting(o: AcctBuildOptions): { store: PacketStore; meta: AcctMeta } {
  const rnd = mulberry32(o.seed ^ 0xacc7);
  const kind = new Uint8Array(o.count);
  const slot = new Uint32Array(o.count);
  const generation = new Uint32Array(o.count);
  const sessionTime = new Uint32Array(o.count);
  const slotState = new Uint32Array(o.sessions);
  const slotGen = new Uint32Array(o.sessions);
  if (o.prestarted) for (let s = 0; s < o.sessions; s++) slotState[s] = 1 + Math.floor(rnd() * 60);
  for (let k = 0; k < o.count; k++) {
    const s = Math.floor(rnd() * o.sessions);
    slot[k] = s;
    const st = slotState[s]!;
    if (st === 0) {
      kind[k] = ACCT_START;
      slotState[s] = 1;
    } else if (rnd() < o.stopRatio) {
      kind[k] = ACCT_STOP;
      sessionTime[k] = st * 60;
      slotState[s] = 0;
    } else {
      kind[k] = ACCT_INTERIM;
      sessionTime[k] = st * 60;
      slotState[s] = st + 1;
    }
    generation[k] = slotGen[s]!;
    if (kind[k] === ACCT_STOP) slotGen[s] = slotGen[s]! + 1;
  }
  const sessionId = (k: number): string => `${o.sessionPrefix}${slot[k]!.toString(36)}-${generation[k]}`;
  const user = (k: number): string => o.users[slot[k]! % o.users.length]!.username;
  const names = o.users.map((u) => Buffer.from(u.username, "utf8"));

  const offset = new Uint32Array(o.count);
  const length = new Uint16Array(o.count);
  const sids: Buffer[] = new Array<Buffer>(o.count);
  let total = 0;
  for (let k = 0; k < o.count; k++) {
    sids[k] = Buffer.from(sessionId(k), "latin1");
    let len = 20 + 6 + 2 + sids[k]!.length + 2 + names[slot[k]! % names.length]!.length + (o.nasIp ? 6 : 0);
    if (kind[k] === ACCT_START) len += 6; // Framed-IP-Address
    else len += 6 + 6 + 6; // Acct-Session-Time, Acct-Input-Octets, Acct-Output-Octets
    offset[k] = total;
    length[k] = len;
    total += len;
  }
  const buf = Buffer.alloc(total);
  const scratch = Buffer.alloc(MAX_PACKET + o.secret.length);
  for (let k = 0; k < o.count; k++) {
    const start = offset[k]!;
    const len = length[k]!;
    buf[start] = CODE_ACCOUNTING_REQUEST;
    buf[start + 1] = identifierOf(k, o.ports);
    buf.writeUInt16BE(len, start + 2);
    // Authenticator field stays zero until the digest below.
    let p = start + 20;
    const u32 = (type: number, v: number): void => {
      buf[p] = type;
      buf[p + 1] = 6;
      buf.writeUInt32BE(v >>> 0, p + 2);
      p += 6;
    };
    const octets = (type: number, v: Buffer): void => {
      buf[p] = type;
      buf[p + 1] = 2 + v.length;
      v.copy(buf, p + 2);
      p += 2 + v.length;
    };
    u32(ATTR_ACCT_STATUS_TYPE, kind[k]!);
    octets(ATTR_ACCT_SESSION_ID, sids[k]!);
    octets(ATTR_USER_NAME, names[slot[k]! % names.length]!);
    if (o.nasIp) octets(ATTR_NAS_IP_ADDRESS, o.nasIp);
    if (kind[k] === ACCT_START) {
      const s = slot[k]!;
      octets(ATTR_FRAMED_IP_ADDRESS, Buffer.from([10, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff]));
    } else {
      u32(ATTR_ACCT_SESSION_TIME, sessionTime[k]!);
      u32(ATTR_ACCT_INPUT_OCTETS, sessionTime[k]! * 1000);
      u32(ATTR_ACCT_OUTPUT_OCTETS, sessionTime[k]! * 4000);
    }
    if (p !== start + len) throw new Error(`accounting packet ${k}: laid out ${p - start} of ${len} bytes`);
    buf.copy(scratch, 0, start, start + len);
    o.secret.copy(scratch, len);
    h.reset().update(scratch, 0, len + o.secret.length).digestInto(buf, start + 4);
  }
  return { store: { buf, offset, length, count: o.count }, meta: { kind, slot, generation, sessionTime, sessionId, user } };
}

// ---------------------------------------------------------------------------------------------
// Reply checking.

export const VERIFY_OK = 0;
export const VERIFY_BAD_AUTHENTICATOR = 1;
export const VERIFY_BAD_MESSAGE_AUTHENTICATOR = 2;
export const VERIFY_MALFORMED = 4;
/** Informational flags: not failures, counted so BlastRADIUS hygiene is visible. */
export const VERIFY_NO_MA = 8;
export const VERIFY_MA_NOT_FIRST = 16;

/** Checks replies against the request they answer. One instance per thread (owns scratch). */
export class ReplyVerifier {
  private readonly secret: Buffer;
  private readonly scratch: Buffer;
  private readonly digest = Buffer.alloc(16);
  private readonly saved = Buffer.alloc(16);

  constructor(secret: Buffer) {
    this.secret = secret;
    this.scratch = Buffer.alloc(MAX_PACKET + secret.length);
  }

  /**
   * Verify `reply` (as received) against the request whose Request Authenticator sits at
   * reqBuf[reqAuthOff, reqAuthOff+16). Returns a bit set of VERIFY_* flags; failures are the
   * low three bits. Digest comparisons need not be constant-time: this is a test client.
   */
  verify(reply: Buffer, reqBuf: Buffer, reqAuthOff: number): number {
    if (reply.length < 20) return VERIFY_MALFORMED;
    const len = (reply[2]! << 8) | reply[3]!;
    if (len < 20 || len > MAX_PACKET || len > reply.length) return VERIFY_MALFORMED;
    const s = this.scratch;
    reply.copy(s, 0, 0, len);
    reqBuf.copy(s, 4, reqAuthOff, reqAuthOff + 16);
    let flags = 0;
    let ma = -1;
    let first = true;
    for (let p = 20; p < len; ) {
      if (p + 2 > len) return VERIFY_MALFORMED;
      const t = s[p]!;
      const al = s[p + 1]!;
      if (al < 2 || p + al > len) return VERIFY_MALFORMED;
      if (t === ATTR_MESSAGE_AUTHENTICATOR) {
        if (al !== 18 || ma >= 0) return VERIFY_MALFORMED;
        ma = p;
        if (!first) flags |= VERIFY_MA_NOT_FIRST;
      }
      first = false;
      p += al;
    }
    if (ma >= 0) {
      // RFC 3579 §3.2: HMAC over the reply with the Request Authenticator in the
      // authenticator field and the Message-Authenticator value zeroed.
      s.copy(this.saved, 0, ma + 2, ma + 18);
      s.fill(0, ma + 2, ma + 18);
      mac.begin(this.secret).update(s, 0, len).digestInto(this.digest, 0);
      if (!this.digest.equals(this.saved)) flags |= VERIFY_BAD_MESSAGE_AUTHENTICATOR;
      this.saved.copy(s, ma + 2);
    } else {
      flags |= VERIFY_NO_MA;
    }
    // RFC 2865 §3: MD5(Code + Identifier + Length + Request Authenticator + Attributes + Secret).
    this.secret.copy(s, len);
    h.reset().update(s, 0, len + this.secret.length).digestInto(this.digest, 0);
    if (this.digest.compare(reply, 4, 20, 0, 16) !== 0) flags |= VERIFY_BAD_AUTHENTICATOR;
    return flags;
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the tools.

/** Parse "host:port", "[v6]:port" or a bare port (host 127.0.0.1). */
export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  let host = "127.0.0.1";
  let portStr = "";
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (m) {
    host = m[1]!;
    portStr = m[2] ?? "";
  } else if (/^\d+$/.test(s)) {
    portStr = s;
  } else {
    const i = s.lastIndexOf(":");
    if (i >= 0 && s.indexOf(":") === i) {
      host = s.slice(0, i);
      portStr = s.slice(i + 1);
    } else {
      host = s; // bare IPv6 literal or host without port
    }
  }
  const port = portStr === "" ? defaultPort : Number(portStr);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in ${s}`);
  return { host, port };
}

/** Deterministic PRNG (mulberry32): reproducible timetables and user picks from --seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
