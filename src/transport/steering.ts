// Which kernel receive queue a datagram joins, decided in the kernel before anyone reads it: a
// classic BPF program for SO_ATTACH_REUSEPORT_CBPF over a group of sockets sharing one port.
//
// Why. Past capacity, a datagram that is read and then shed still costs the process most of what
// reading it costs; a datagram the kernel drops because a receive queue is full costs the process
// nothing. So the process reads only what it can serve, and the choice of *what* the kernel drops
// is made by how datagrams are spread over queues:
//   - Status-Server (code 12) gets a queue of its own, which the NASes' request floods cannot fill
//     (RFC 5997: a NAS uses it to tell whether the server is alive; it must not be drowned);
//   - every other datagram goes to one of `flows` queues chosen by a hash of its source address,
//     and the queues are read in turn, at most `batch` datagrams each per turn: stochastic fair
//     queuing (McKenney, INFOCOM 1990) done by the kernel's queues. A NAS flooding at 5x its share
//     overflows its own queue (and that of any NAS hashed with it) while the others keep theirs.
// A datagram too short to hold a RADIUS code reads past the end; a classic BPF program then
// returns 0, i.e. the first flow queue, never the Status-Server queue.

// Classic BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
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
  /** Sockets in the group: `flows` flow queues, then the Status-Server queue. */
  sockets: number;
  /** Index of the Status-Server queue. */
  statusQueue: number;
  /** The program, two 32-bit words per instruction (see udp-mmsg.c). */
  program: Uint32Array;
}

type Insn = [code: number, jt: number, jf: number, k: number];

/** The program for `flows` (1..63) flow queues plus one Status-Server queue. */
export function steeringPlan(flows: number): SteeringPlan {
  if (!Number.isInteger(flows) || flows < 1 || flows > 63) throw new RangeError(`flows must be 1..63 (got ${flows})`);
  const status = flows;
  const p: Insn[] = [];
  const at = (): number => p.length;
  p.push([LD_B_ABS, 0, 0, 0]); // 0: A = RADIUS code (first octet of the UDP payload)
  const jStatus = at();
  p.push([JMP_JEQ_K, 0, 0, 12]); // 1: Status-Server? -> ret status (patched below)
  p.push([LD_B_ABS, 0, 0, NET + 0]); // 2: A = IP version/IHL
  p.push([ALU_RSH_K, 0, 0, 4]); // 3: A = IP version
  const jV6 = at();
  p.push([JMP_JEQ_K, 0, 0, 6]); // 4: IPv6? (patched below)
  p.push([LD_W_ABS, 0, 0, NET + 12]); // 5: A = IPv4 source address
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
  const hash = at();
  // Fibonacci hashing: the high half of A * 2^32/phi, reduced to a queue.
  p.push([ALU_MUL_K, 0, 0, 0x9e3779b1]);
  p.push([ALU_RSH_K, 0, 0, 16]);
  p.push([ALU_MOD_K, 0, 0, flows]);
  p.push([RET_A, 0, 0, 0]);
  const retStatus = at();
  p.push([RET_K, 0, 0, status]);
  // Jumps are relative to the next instruction.
  p[jStatus]![1] = retStatus - jStatus - 1;
  p[jV6]![1] = v6 - jV6 - 1;
  p[jHash]![3] = hash - jHash - 1;
  const program = new Uint32Array(p.length * 2);
  p.forEach(([code, jt, jf, k], i) => {
    program[2 * i] = (code << 16) | (jt << 8) | jf;
    program[2 * i + 1] = k >>> 0;
  });
  return { sockets: flows + 1, statusQueue: status, program };
}

/** Runs a plan's program on a datagram, as the kernel would (for tests and diagnostics). */
export function steer(plan: SteeringPlan, payload: Uint8Array, ipHeader: Uint8Array): number {
  let a = 0;
  let x = 0;
  const load = (k: number, size: 1 | 4): number | null => {
    const net = k >= NET;
    const buf = net ? ipHeader : payload;
    const off = net ? k - NET : k;
    if (off + size > buf.length) return null;
    return size === 1 ? buf[off]! : ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
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
