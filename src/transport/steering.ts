// Which kernel receive queue a datagram joins, decided in the kernel before anyone reads it: a
// classic BPF program for SO_ATTACH_REUSEPORT_CBPF over a group of sockets sharing one port.
//
// Why. Past capacity, a datagram that is read and then shed still costs the process most of what
// reading it costs; a datagram the kernel drops because a receive queue is full costs the process
// nothing. So the process reads only what it can serve, and the choice of *what* the kernel drops
// is made by how datagrams are spread over queues:
//   - Status-Server (code 12) gets a queue of its own, which the NASes' request floods cannot fill
//     (RFC 5997: a NAS uses it to tell whether the server is alive; it must not be drowned);
//   - an Access-Request carrying State (type 24: the next round of a conversation already in
//     progress, e.g. EAP or a challenge) gets a queue of its own too: finishing a conversation
//     is worth more than starting a new one, and its earlier rounds were already paid for. The
//     attributes are walked, bounds-checked against the datagram's length, for at most
//     STATE_SCAN attributes (classic BPF has no loops: the walk is unrolled);
//   - every other datagram goes to one of `flows` queues chosen by a hash of its source address,
//     and the queues are read in turn, at most `batch` datagrams each per turn: stochastic fair
//     queuing (McKenney, INFOCOM 1990) done by the kernel's queues. A NAS flooding at 5x its share
//     overflows its own queue (and that of any NAS hashed with it) while the others keep theirs.
//     Two NASes hashed to one queue share it, and with it one queue's share of the reads (with 4
//     NASes and 8 queues that happens more often than not); so the IPv4 addresses of clients
//     configured as single hosts are given queues first, in turn (`exact`), and only the others
//     are hashed. With 8 queues, 8 such NASes never share one.
// With serve --workers N, each worker has a State queue of its own, chosen by the first octet of
// the State (the index of the worker that issued it): every round of an EAP conversation reaches
// the process that holds it.
// A datagram too short to hold a RADIUS code reads past the end; a classic BPF program then
// returns 0, i.e. the first flow queue, never the Status-Server queue. The State queue(s) and
// the Status-Server queue are the last sockets of the group, so that a reader can keep exactly
// those when it stops reading the flows (udp-native.ts, holdBack).

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
const LD_B_IND = 0x50;
const LD_H_IND = 0x48;
const LD_H_ABS = 0x28;
const LD_MEM = 0x60;
const LDX_MSH = 0xb1;
const LD_W_LEN = 0x80;
const LDX_IMM = 0x01;
const LDX_MEM = 0x61;
const ST = 0x02;
const ALU_ADD_K = 0x04;
const ALU_ADD_X = 0x0c;
const MISC_TXA = 0x87;
const JMP_JGT_X = 0x2d;
const JMP_JGE_K = 0x35;
const ALU_RSH_K = 0x74;
const ALU_MUL_K = 0x24;
const ALU_MOD_K = 0x94;
const ALU_XOR_X = 0xac;
const JMP_JA = 0x05;
const JMP_JEQ_K = 0x15;
const RET_K = 0x06;
const RET_A = 0x16;
const MISC_TAX = 0x07;
/** Loads relative to the network (IP) header rather than the UDP payload. */
const NET = 0xfff00000;

export interface SteeringPlan {
  /** Sockets in the group: `flows` flow queues, then the State queue(s), then the Status-Server queue. */
  sockets: number;
  /** Index of the (first) queue of Access-Requests carrying State (= flows). */
  stateQueue: number;
  /** State queues: 1, or one per worker (stateQueue + w is worker w's). */
  stateQueues: number;
  /** Index of the Status-Server queue (the last). */
  statusQueue: number;
  /** The program, two 32-bit words per instruction (see udp-mmsg.c). */
  program: Uint32Array;
}

type Insn = [code: number, jt: number, jf: number, k: number];

/** Attributes examined for State, from the first; a State further on is steered as a new request. */
export const STATE_SCAN = 32;
/** Most IPv4 source addresses given a queue of their own in turn (see `exact`). */
export const MAX_EXACT = 64;
/** Most sockets in one SO_REUSEPORT group. */
export const MAX_GROUP = 64;
/** Most flow queues: a group holds at most 64 sockets, two of them the State and Status-Server queues. */
export const MAX_FLOWS = MAX_GROUP - 2;

/**
 * The program for `flows` (1..62) flow queues plus the State and Status-Server queues.
 *
 * With `workers` > 1 (serve --workers N: flow queues w*F .. w*F+F-1 belong to worker w, where
 * F = flows / workers), the worker is chosen by a hash of the source address *and port*, and the
 * flow queue within it by a hash of the address alone: a NAS that sends from several ports (a
 * large BNG typically does) is spread over every worker, while within each worker all of its
 * datagrams share one flow queue (fair queuing between NASes is kept), and a retransmission
 * (same address and port, RFC 5080 §2.2.2) reaches the worker that answered the original.
 * Each worker then also has a State queue of its own (flows + w): the worker that starts an EAP
 * conversation puts its index in the first octet of the State it issues (eap/handler.ts), and an
 * Access-Request carrying State goes to the State queue of worker (first octet mod workers), the
 * process holding the conversation. A State too short to hold an octet goes to the source's flow.
 */
export function steeringPlan(flows: number, workers = 1, exact: readonly number[] = []): SteeringPlan {
  if (!Number.isInteger(flows) || flows < 1 || flows > MAX_FLOWS) throw new RangeError(`flows must be 1..${MAX_FLOWS} (got ${flows})`);
  if (!Number.isInteger(workers) || workers < 1 || flows % workers !== 0) throw new RangeError(`workers must divide flows (got ${workers} workers for ${flows} flows)`);
  const stateQueues = workers;
  if (flows + stateQueues + 1 > MAX_GROUP) throw new RangeError(`${flows} flows + ${stateQueues} State queues + 1 exceed ${MAX_GROUP} sockets`);
  const perWorker = flows / workers;
  if (exact.length > MAX_EXACT) throw new RangeError(`at most ${MAX_EXACT} exact source addresses (got ${exact.length})`);
  // Exact queues are a single-process refinement: with several workers the source port picks
  // the worker, and every address is hashed.
  const table = workers === 1 ? exact : [];
  const state = flows;
  const status = flows + stateQueues;
  const p: Insn[] = [];
  const at = (): number => p.length;
  // Conditional jumps reach at most 255 instructions ahead, so far targets are reached through
  // an unconditional jump (32-bit offset) next to the test: these are patched once known.
  const jaSource: number[] = [];
  const jaState: number[] = [];
  p.push([LD_B_ABS, 0, 0, 0]); // A = RADIUS code (first octet of the UDP payload)
  p.push([JMP_JEQ_K, 0, 1, 12]); // Status-Server?
  p.push([RET_K, 0, 0, status]);
  p.push([JMP_JEQ_K, 1, 0, 1]); // Access-Request? walk its attributes
  jaSource.push(at());
  p.push([JMP_JA, 0, 0, 0]); // -> source
  p.push([LD_W_LEN, 0, 0, 0]); // A = length of the datagram
  p.push([ST, 0, 0, 0]); // M[0] = length
  p.push([LDX_IMM, 0, 0, 20]); // X = offset of the first attribute
  for (let i = 0; i < STATE_SCAN; i++) {
    p.push([MISC_TXA, 0, 0, 0]); // A = X
    p.push([ST, 0, 0, 1]); // M[1] = offset of this attribute
    p.push([ALU_ADD_K, 0, 0, 2]); // A = offset + 2 (its type and length octets)
    p.push([LDX_MEM, 0, 0, 0]); // X = length of the datagram
    p.push([JMP_JGT_X, 8, 0, 0]); // past the end: no (more) attributes -> source
    p.push([LDX_MEM, 0, 0, 1]); // X = offset
    p.push([LD_B_IND, 0, 0, 0]); // A = type
    p.push([JMP_JEQ_K, 6, 0, 24]); // State -> state
    p.push([LD_B_IND, 0, 0, 1]); // A = attribute length
    p.push([JMP_JGE_K, 0, 3, 2]); // a length under 2 is malformed -> source
    p.push([ALU_ADD_X, 0, 0, 0]); // A = offset of the next attribute
    p.push([MISC_TAX, 0, 0, 0]); // X = A
    p.push([JMP_JA, 0, 0, 2]); // -> the next attribute
    jaSource.push(at());
    p.push([JMP_JA, 0, 0, 0]); // -> source
    jaState.push(at());
    p.push([JMP_JA, 0, 0, 0]); // -> state
  }
  // More than STATE_SCAN attributes: a new request.
  jaSource.push(at());
  p.push([JMP_JA, 0, 0, 0]); // -> source
  // Placed before the source part: the kernel checks that M[] is written before it is read by
  // walking the instructions in order, as if a return fell through.
  const stateAt = at();
  if (workers === 1) {
    p.push([RET_K, 0, 0, state]);
  } else {
    // X = offset of the State attribute: its first value octet names the worker.
    p.push([LD_B_IND, 0, 0, 1]); // A = attribute length
    p.push([JMP_JGE_K, 0, 7, 3]); // no value octet -> source
    p.push([MISC_TXA, 0, 0, 0]);
    p.push([ALU_ADD_K, 0, 0, 3]); // A = offset + 3 (through the first value octet)
    p.push([LDX_MEM, 0, 0, 0]); // X = length of the datagram
    p.push([JMP_JGT_X, 3, 0, 0]); // past the end -> source
    p.push([LDX_MEM, 0, 0, 1]); // X = offset
    p.push([LD_B_IND, 0, 0, 2]); // A = first octet of the State value
    p.push([JMP_JA, 0, 0, 1]);
    jaSource.push(at());
    p.push([JMP_JA, 0, 0, 0]); // -> source
    p.push([ALU_MOD_K, 0, 0, workers]); // the worker (a foreign State: any, by its random octet)
    p.push([ALU_ADD_K, 0, 0, state]);
    p.push([RET_A, 0, 0, 0]); // -> that worker's State queue (the kernel wants a return last)
  }
  const source = at();
  p.push([LD_B_ABS, 0, 0, NET + 0]); // A = IP version/IHL
  p.push([ALU_RSH_K, 0, 0, 4]); // 3: A = IP version
  const jV6 = at();
  p.push([JMP_JEQ_K, 0, 0, 6]); // 4: IPv6? (patched below)
  p.push([LD_W_ABS, 0, 0, NET + 12]); // 5: A = IPv4 source address
  /** Exact-address jumps: [instruction, queue]. */
  const toExact: Array<[number, number]> = [];
  table.forEach((addr, i) => {
    toExact.push([at(), i % flows]);
    p.push([JMP_JEQ_K, 0, 0, addr >>> 0]); // a configured NAS -> its queue
  });
  if (workers > 1) {
    p.push([ST, 0, 0, 2]); // M[2] = address
    p.push([LDX_MSH, 0, 0, NET + 0]); // X = IPv4 header length (4 * IHL)
    p.push([LD_H_IND, 0, 0, NET + 0]); // A = UDP source port
    p.push([ST, 0, 0, 3]); // M[3] = port
    p.push([LD_MEM, 0, 0, 2]); // A = address
  }
  const jHash = at();
  p.push([JMP_JA, 0, 0, 0]); // 6: -> hash (patched below)
  const v6 = at();
  // IPv6 source address: octets 8..23 of the header, folded with XOR.
  p.push([LD_W_ABS, 0, 0, NET + 8]);
  p.push([MISC_TAX, 0, 0, 0]);
  p.push([LD_W_ABS, 0, 0, NET + 12]);
  p.push([ALU_XOR_X, 0, 0, 0]);
  p.push([MISC_TAX, 0, 0, 0]);
  p.push([LD_W_ABS, 0, 0, NET + 16]);
  p.push([ALU_XOR_X, 0, 0, 0]);
  p.push([MISC_TAX, 0, 0, 0]);
  p.push([LD_W_ABS, 0, 0, NET + 20]);
  p.push([ALU_XOR_X, 0, 0, 0]);
  if (workers > 1) {
    p.push([ST, 0, 0, 2]); // M[2] = folded address
    p.push([LD_H_ABS, 0, 0, NET + 40]); // A = UDP source port (no extension headers)
    p.push([ST, 0, 0, 3]); // M[3] = port
    p.push([LD_MEM, 0, 0, 2]); // A = folded address
  }
  const hash = at();
  // Fibonacci hashing: the high half of A * 2^32/phi, reduced to a queue.
  p.push([ALU_MUL_K, 0, 0, 0x9e3779b1]);
  p.push([ALU_RSH_K, 0, 0, 16]);
  if (workers === 1) {
    p.push([ALU_MOD_K, 0, 0, flows]);
    p.push([RET_A, 0, 0, 0]);
  } else {
    p.push([ST, 0, 0, 2]); // M[2] = address hash
    p.push([ALU_MOD_K, 0, 0, perWorker]);
    p.push([ST, 0, 0, 4]); // M[4] = flow queue within the worker
    p.push([LD_MEM, 0, 0, 3]); // A = port
    p.push([ALU_MUL_K, 0, 0, 0x9e3779b1]);
    p.push([ALU_RSH_K, 0, 0, 16]);
    p.push([LDX_MEM, 0, 0, 2]);
    p.push([ALU_XOR_X, 0, 0, 0]); // A = port hash ^ address hash
    p.push([ALU_MOD_K, 0, 0, workers]); // A = worker
    p.push([ALU_MUL_K, 0, 0, perWorker]);
    p.push([LDX_MEM, 0, 0, 4]);
    p.push([ALU_ADD_X, 0, 0, 0]); // A = worker * F + flow within the worker
    p.push([RET_A, 0, 0, 0]);
  }
  const retQueue = new Map<number, number>();
  for (const [, q] of toExact) {
    if (!retQueue.has(q)) {
      retQueue.set(q, at());
      p.push([RET_K, 0, 0, q]);
    }
  }
  // Jumps are relative to the next instruction (8-bit offsets for conditional jumps).
  for (const i of jaSource) p[i]![3] = source - i - 1;
  for (const i of jaState) p[i]![3] = stateAt - i - 1;
  for (const [i, q] of toExact) p[i]![1] = retQueue.get(q)! - i - 1;
  p[jV6]![1] = v6 - jV6 - 1;
  p[jHash]![3] = hash - jHash - 1;
  if (p.some(([code, jt, jf]) => code !== JMP_JA && (jt > 255 || jf > 255))) throw new Error("steering program: a jump is out of range");
  if (p.some(([code, , , k], i) => code === JMP_JA && i + 1 + k >= p.length)) throw new Error("steering program: a jump is out of range");
  const program = new Uint32Array(p.length * 2);
  p.forEach(([code, jt, jf, k], i) => {
    program[2 * i] = (code << 16) | (jt << 8) | jf;
    program[2 * i + 1] = k >>> 0;
  });
  return { sockets: flows + stateQueues + 1, stateQueue: state, stateQueues, statusQueue: status, program };
}

/**
 * The IPv4 addresses, as numbers, of client entries that name one host ("192.0.2.7" or
 * "192.0.2.7/32"), in order, without repeats, at most MAX_EXACT: the sources given queues of
 * their own. Other entries (prefixes, IPv6) are left to the hash.
 */
export function exactSources(addresses: readonly string[]): number[] {
  const out: number[] = [];
  for (const a of addresses) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/32)?$/.exec(a.trim());
    if (!m) continue;
    const o = m.slice(1, 5).map(Number);
    if (o.some((x) => x > 255)) continue;
    const v = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
    if (!out.includes(v)) out.push(v);
    if (out.length === MAX_EXACT) break;
  }
  return out;
}

/**
 * Runs a plan's program on a datagram, as the kernel would (for tests and diagnostics). `ipHeader`
 * is what precedes the payload from the network header on (IP header, then the UDP header, which
 * plans for several workers read the source port from); a load past either ends the program: 0.
 */
export function steer(plan: SteeringPlan, payload: Uint8Array, ipHeader: Uint8Array): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  const load = (k: number, size: 1 | 2 | 4): number | null => {
    const net = k >= NET;
    const buf = net ? ipHeader : payload;
    const off = net ? k - NET : k;
    if (off + size > buf.length) return null;
    if (size === 1) return buf[off]!;
    if (size === 2) return (buf[off]! << 8) | buf[off + 1]!;
    return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  };
  for (let pc = 0; pc < plan.program.length / 2; pc++) {
    const w = plan.program[2 * pc]!;
    const k = plan.program[2 * pc + 1]!;
    const code = w >>> 16;
    const jt = (w >>> 8) & 0xff;
    const jf = w & 0xff;
    switch (code) {
      case LD_B_ABS:
      case LD_W_ABS: {
        const v = load(k, code === LD_B_ABS ? 1 : 4);
        if (v === null) return 0; // a load past the end aborts the program: 0
        a = v;
        break;
      }
      case LD_B_IND:
      case LD_H_IND:
      case LD_H_ABS: {
        const off = code === LD_H_ABS ? k : (x + k) >>> 0;
        const v = code === LD_B_IND ? load(off, 1) : load(off, 2);
        if (v === null) return 0;
        a = v;
        break;
      }
      case LDX_MSH: {
        const v = load(k, 1);
        if (v === null) return 0;
        x = (v & 0xf) * 4;
        break;
      }
      case LD_MEM:
        a = mem[k]!;
        break;
      case LD_W_LEN:
        a = payload.length;
        break;
      case LDX_IMM:
        x = k;
        break;
      case LDX_MEM:
        x = mem[k]!;
        break;
      case ST:
        mem[k] = a;
        break;
      case ALU_ADD_K:
        a = (a + k) >>> 0;
        break;
      case ALU_ADD_X:
        a = (a + x) >>> 0;
        break;
      case MISC_TXA:
        a = x;
        break;
      case JMP_JGT_X:
        pc += a > x ? jt : jf;
        break;
      case JMP_JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case ALU_RSH_K:
        a = a >>> k;
        break;
      case ALU_MUL_K:
        a = Math.imul(a, k) >>> 0;
        break;
      case ALU_MOD_K:
        a = a % k;
        break;
      case ALU_XOR_X:
        a = (a ^ x) >>> 0;
        break;
      case MISC_TAX:
        x = a;
        break;
      case JMP_JA:
        pc += k;
        break;
      case JMP_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case RET_A:
        return a;
      case RET_K:
        return k;
      default:
        throw new Error(`unknown opcode ${code.toString(16)}`);
    }
  }
  throw new Error("program fell off its end");
}
