// Start-up errors of a listener, worded for the operator: which key, which address and port,
// and why (`radius.auth: cannot bind 127.0.0.1:1812/udp: address already in use`). Both socket
// paths are covered: node:dgram (an ErrnoException with syscall "bind") and the native addon
// ("bind: Address already in use", from strerror; its listenTcp for `serve --workers N`).
import { isIP } from "node:net";

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this host",
  EAFNOSUPPORT: "address family not supported",
  EINVAL: "invalid argument",
};

export class ListenError extends Error {
  override readonly name = "ListenError";
}

/** The reason a bind failed, or undefined when `err` is not a bind failure. */
export function bindFailureReason(err: unknown): string | undefined {
  const e = err as Partial<NodeJS.ErrnoException> | null | undefined;
  if (!e || typeof e !== "object") return undefined;
  if (e.syscall === "bind" && typeof e.code === "string") return REASONS[e.code] ?? e.code;
  const m = /^(?:listenTcp: )?bind(?:\/listen)?: (.+)$/.exec(typeof e.message === "string" ? e.message : "");
  if (m?.[1]) return m[1].charAt(0).toLowerCase() + m[1].slice(1);
  return undefined;
}

/** A ListenError naming the listener, its address and the reason; other errors unchanged. */
export function describeBindError(key: string, host: string, port: number, proto: "udp" | "tcp", err: unknown): unknown {
  const reason = bindFailureReason(err);
  if (reason === undefined) return err;
  const where = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return new ListenError(`${key}: cannot bind ${where}/${proto}: ${reason}`);
}
