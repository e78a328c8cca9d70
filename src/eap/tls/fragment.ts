/**
 * EAP-TLS / PEAP / EAP-TTLS framing of TLS data (RFC 5216 §3.1-3.2; PEAP: MS-PEAP §2.2.2;
 * TTLS: RFC 5281 §9.1). Works on the Type-Data of an EAP packet, i.e. what follows the EAP
 * Type octet; the EAP header itself belongs to the EAP codec.
 *
 *   Flags (1) | TLS Message Length (4, only when L is set) | TLS Data (0..n)
 *   Flags: L=0x80 (length included), M=0x40 (more fragments), S=0x20 (start);
 *   EAP-TLS: the low 5 bits are reserved (sent 0, ignored on receipt);
 *   PEAP and TTLS: the low 3 bits carry the version (only 0 is implemented).
 *
 * Pure: Buffers in, Buffers out, and EapTlsError on any malformed input.
 */
import { EapTlsError } from "./errors.js";

export const TlsFlag = { L: 0x80, M: 0x40, S: 0x20 } as const;
const VERSION_MASK = 0x07;

/**
 * 64 KiB: a TLS flight with a long client certificate chain stays far below (a few KiB), and
 * 16 of those EAP rounds would already be unusual; more is a flood, not a handshake.
 */
export const DEFAULT_MAX_MESSAGE_LENGTH = 65536;
/** 128 fragments of a 64 KiB message average 512 octets; smaller is a fragment flood. */
export const DEFAULT_MAX_FRAGMENTS = 128;
/**
 * 1020 octets of TLS data per EAP packet: with the 10 octets of EAP header, Type, Flags and
 * TLS Message Length the EAP packet is 1030 octets, which fits in five EAP-Message attributes
 * (RFC 3579 §3.1), leaves room in a 4096-octet RADIUS packet, and keeps the EAPOL frame the
 * NAS sends well below a 1500-octet Ethernet MTU and the Framed-MTU values NASes report.
 */
export const DEFAULT_FRAGMENT_SIZE = 1020;

export interface TlsFrame {
  /** L: the TLS Message Length field is present. */
  lengthIncluded: boolean;
  /** M: more fragments follow. */
  more: boolean;
  /** S: start (server to peer only). */
  start: boolean;
  /** PEAP/TTLS version bits (0 for EAP-TLS, whose low bits are reserved). */
  version: number;
  /** TLS Message Length, when L is set. */
  messageLength: number | undefined;
  data: Buffer;
}

export interface FrameOptions {
  /** PEAP/TTLS: the low 3 flag bits carry a version. EAP-TLS: reserved, ignored. */
  versioned?: boolean;
}

/** Decodes the Type-Data of an EAP-TLS/PEAP/TTLS packet. */
export function decodeTlsFrame(typeData: Buffer, opts: FrameOptions = {}): TlsFrame {
  if (typeData.length < 1) throw new EapTlsError("EAPTLS_ERR_TRUNCATED", "EAP-TLS Type-Data has no Flags octet");
  const flags = typeData[0] ?? 0;
  const lengthIncluded = (flags & TlsFlag.L) !== 0;
  let offset = 1;
  let messageLength: number | undefined;
  if (lengthIncluded) {
    // RFC 5216 §3.1: TLS Message Length is present only when L is set.
    if (typeData.length < 5) throw new EapTlsError("EAPTLS_ERR_TRUNCATED", "L flag set but TLS Message Length is truncated");
    messageLength = typeData.readUInt32BE(1);
    offset = 5;
  }
  return {
    lengthIncluded,
    more: (flags & TlsFlag.M) !== 0,
    start: (flags & TlsFlag.S) !== 0,
    version: opts.versioned ? flags & VERSION_MASK : 0,
    messageLength,
    data: typeData.subarray(offset),
  };
}

export interface EncodeFrameInput {
  more?: boolean;
  start?: boolean;
  version?: number;
  /** When given, L is set and this value goes in TLS Message Length. */
  messageLength?: number;
  data?: Buffer;
}

/** Encodes Type-Data: Flags, optional TLS Message Length, TLS data. */
export function encodeTlsFrame(f: EncodeFrameInput): Buffer {
  const version = f.version ?? 0;
  if (!Number.isInteger(version) || version < 0 || version > VERSION_MASK) {
    throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "version must be an integer in 0..7");
  }
  const data = f.data ?? Buffer.alloc(0);
  let flags = version;
  if (f.more) flags |= TlsFlag.M;
  if (f.start) flags |= TlsFlag.S;
  if (f.messageLength !== undefined) {
    if (!Number.isInteger(f.messageLength) || f.messageLength < 0 || f.messageLength > 0xffffffff) {
      throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "messageLength must be a 32-bit unsigned integer");
    }
    const out = Buffer.alloc(5 + data.length);
    out[0] = flags | TlsFlag.L;
    out.writeUInt32BE(f.messageLength, 1);
    data.copy(out, 5);
    return out;
  }
  const out = Buffer.alloc(1 + data.length);
  out[0] = flags;
  data.copy(out, 1);
  return out;
}

/** The Start packet's Type-Data (RFC 5216 §3.1: S set, no data; PEAP/TTLS: plus the version). */
export function startFrame(version = 0): Buffer {
  return encodeTlsFrame({ start: true, version });
}

/** A fragment ACK: an EAP-TLS packet with no data and no L/M/S (RFC 5216 §3.1, §2.1.2). */
export function ackFrame(version = 0): Buffer {
  return encodeTlsFrame({ version });
}

/** True if the frame is an ACK: no data and none of L, M, S. */
export function isAck(f: TlsFrame): boolean {
  return !f.lengthIncluded && !f.more && !f.start && f.data.length === 0;
}

export interface ReassemblerOptions extends FrameOptions {
  maxMessageLength?: number;
  maxFragments?: number;
  /** Accept S (a peer-side reassembler reading Requests). The server side refuses S. */
  allowStart?: boolean;
  /** PEAP/TTLS: the version both sides agreed on; other version bits are refused. */
  version?: number;
}

export type ReassemblyResult =
  /** A whole TLS message (possibly empty: an ACK or an empty Response). */
  | { kind: "message"; message: Buffer; frame: TlsFrame }
  /** A fragment was taken; the caller answers with an ACK (RFC 5216 §3.1). */
  | { kind: "fragment"; received: number; expected: number | undefined };

/**
 * Reassembles one TLS message from its fragments, one EAP packet at a time.
 * RFC 5216 §3.1: the first fragment carries L; every fragment but the last carries M; the
 * receiver ACKs each fragment with M set. Caps on total length and fragment count bound the
 * memory and the rounds a peer can make the server spend.
 */
export class TlsReassembler {
  private readonly maxMessageLength: number;
  private readonly maxFragments: number;
  private readonly opts: ReassemblerOptions;
  private parts: Buffer[] = [];
  private received = 0;
  private fragments = 0;
  private expected: number | undefined;
  private inProgress = false;

  constructor(opts: ReassemblerOptions = {}) {
    this.opts = opts;
    this.maxMessageLength = opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.maxFragments = opts.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    if (!Number.isInteger(this.maxMessageLength) || this.maxMessageLength < 1) {
      throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "maxMessageLength must be a positive integer");
    }
    if (!Number.isInteger(this.maxFragments) || this.maxFragments < 1) {
      throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "maxFragments must be a positive integer");
    }
  }

  /** True while fragments of an unfinished message are held. */
  get pending(): boolean {
    return this.inProgress;
  }

  /** Drops any partial message (after an error the conversation ends; this frees the memory). */
  reset(): void {
    this.parts = [];
    this.received = 0;
    this.fragments = 0;
    this.expected = undefined;
    this.inProgress = false;
  }

  /** Decodes `typeData` and takes it. Throws EapTlsError (and resets) on any violation. */
  push(typeData: Buffer): ReassemblyResult {
    try {
      return this.take(decodeTlsFrame(typeData, { versioned: this.opts.versioned ?? false }));
    } catch (e) {
      this.reset();
      throw e;
    }
  }

  private take(f: TlsFrame): ReassemblyResult {
    if (f.start && !this.opts.allowStart) {
      // RFC 5216 §3.1 / MS-PEAP §2.2.2: only the server sets S.
      throw new EapTlsError("EAPTLS_ERR_BAD_FLAGS", "S flag in a peer Response");
    }
    if (this.opts.versioned && this.opts.version !== undefined && f.version !== this.opts.version) {
      throw new EapTlsError("EAPTLS_ERR_VERSION", `version ${f.version} differs from the negotiated ${this.opts.version}`);
    }
    if (f.messageLength !== undefined) {
      if (f.messageLength > this.maxMessageLength) {
        throw new EapTlsError("EAPTLS_ERR_TOO_BIG", `TLS Message Length ${f.messageLength} exceeds the cap ${this.maxMessageLength}`);
      }
      if (this.inProgress && this.expected !== undefined && this.expected !== f.messageLength) {
        throw new EapTlsError("EAPTLS_ERR_LENGTH_MISMATCH", "TLS Message Length changed between fragments");
      }
      if (!this.inProgress || this.expected === undefined) {
        if (this.inProgress && this.received > 0) {
          // L first seen on a later fragment: the length must still cover what came before.
          if (f.messageLength < this.received) throw new EapTlsError("EAPTLS_ERR_LENGTH_MISMATCH", "TLS Message Length below the data already received");
        }
        this.expected = f.messageLength;
      }
    }
    if (!this.inProgress && !f.more) {
      // A whole message in one packet (or an ACK / empty Response).
      if (f.messageLength !== undefined && f.messageLength !== f.data.length) {
        throw new EapTlsError("EAPTLS_ERR_LENGTH_MISMATCH", `TLS Message Length ${f.messageLength} but ${f.data.length} octets of data`);
      }
      if (f.data.length > this.maxMessageLength) {
        throw new EapTlsError("EAPTLS_ERR_TOO_BIG", `unfragmented TLS data of ${f.data.length} octets exceeds the cap`);
      }
      this.reset();
      return { kind: "message", message: Buffer.from(f.data), frame: f };
    }
    this.inProgress = true;
    this.fragments++;
    if (this.fragments > this.maxFragments) {
      throw new EapTlsError("EAPTLS_ERR_TOO_MANY_FRAGMENTS", `more than ${this.maxFragments} fragments in one TLS message`);
    }
    this.received += f.data.length;
    const cap = this.expected ?? this.maxMessageLength;
    if (this.received > cap) {
      throw this.expected !== undefined
        ? new EapTlsError("EAPTLS_ERR_LENGTH_MISMATCH", `fragments exceed TLS Message Length ${this.expected}`)
        : new EapTlsError("EAPTLS_ERR_TOO_BIG", `reassembled data exceeds the cap ${this.maxMessageLength}`);
    }
    this.parts.push(Buffer.from(f.data));
    if (f.more) return { kind: "fragment", received: this.received, expected: this.expected };
    // Last fragment: RFC 5216 §3.1, the total must equal the announced length.
    if (this.expected !== undefined && this.received !== this.expected) {
      throw new EapTlsError("EAPTLS_ERR_LENGTH_MISMATCH", `reassembled ${this.received} octets, TLS Message Length said ${this.expected}`);
    }
    const message = Buffer.concat(this.parts, this.received);
    this.reset();
    return { kind: "message", message, frame: f };
  }
}

export interface FragmentOptions {
  /** Octets of TLS data per EAP packet (default 1020). */
  fragmentSize?: number;
  /** PEAP/TTLS version bits (0 for EAP-TLS). */
  version?: number;
  /** Set L (with the total) on an unfragmented message too. Default: only when fragmenting. */
  alwaysIncludeLength?: boolean;
}

/**
 * Splits one TLS message into Type-Data payloads: L and the total on the first, M on all but
 * the last (RFC 5216 §3.1). An empty message gives one frame with no data.
 */
export function fragmentTlsMessage(message: Buffer, opts: FragmentOptions = {}): Buffer[] {
  const size = opts.fragmentSize ?? DEFAULT_FRAGMENT_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new EapTlsError("EAPTLS_ERR_BAD_ARGUMENT", "fragmentSize must be a positive integer");
  const version = opts.version ?? 0;
  if (message.length <= size) {
    return [encodeTlsFrame({ version, data: message, ...(opts.alwaysIncludeLength ? { messageLength: message.length } : {}) })];
  }
  const out: Buffer[] = [];
  for (let off = 0; off < message.length; off += size) {
    const data = message.subarray(off, Math.min(off + size, message.length));
    const more = off + size < message.length;
    out.push(encodeTlsFrame({ version, more, data, ...(off === 0 ? { messageLength: message.length } : {}) }));
  }
  return out;
}

/** Largest fragment size that keeps the EAP packet within a NAS's Framed-MTU (RFC 3579 §2.2). */
export function fragmentSizeForMtu(framedMtu: number | undefined, configured = DEFAULT_FRAGMENT_SIZE): number {
  // EAP header 4 + Type 1 + Flags 1 + TLS Message Length 4.
  if (framedMtu === undefined || !Number.isFinite(framedMtu)) return configured;
  return Math.max(64, Math.min(configured, Math.floor(framedMtu) - 10));
}

/**
 * A TLS message being sent, one fragment per EAP Request; the next fragment goes out when the
 * peer's ACK comes back (RFC 5216 §3.1).
 */
export class OutgoingTlsMessage {
  private readonly frames: Buffer[];
  private index = 0;

  constructor(message: Buffer, opts: FragmentOptions = {}) {
    this.frames = fragmentTlsMessage(message, opts);
  }

  /** The next Type-Data to send, or undefined when every fragment has been sent. */
  next(): Buffer | undefined {
    const f = this.frames[this.index];
    if (f !== undefined) this.index++;
    return f;
  }

  /** Fragments not yet handed out. */
  get remaining(): number {
    return this.frames.length - this.index;
  }

  get total(): number {
    return this.frames.length;
  }
}
