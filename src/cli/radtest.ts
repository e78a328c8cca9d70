// `carrier-aaa radtest`: send one Access-Request (PAP or CHAP) or Status-Server and print the reply.
// Exit 0 Access-Accept, 1 Access-Reject, 2 no (valid) answer.
import dgram from "node:dgram";
import { createHash, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { Attr, Code, codeName } from "../radius/codes.js";
import { decodePacket } from "../radius/packet.js";
import { hidePassword, verifyMessageAuthenticator, verifyResponseAuthenticator } from "../radius/authenticator.js";
import { encodeRequest, type AttributeInput } from "../radius/encode.js";
import { decodeAttributes } from "../radius/values.js";
import { defaultDictionary } from "../radius/dictionary.js";

export interface RadtestOptions {
  server: string;
  secret: string;
  user?: string | undefined;
  password?: string | undefined;
  chap: boolean;
  status: boolean;
  timeoutMs: number;
  retries: number;
  nasIp?: string | undefined;
}

export interface RadtestResult {
  code: "accept" | "reject" | "none";
  lines: string[];
}

export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (m && m[1]) return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
  if (isIP(s) === 6) return { host: s, port: defaultPort };
  throw new Error(`--server: expected HOST:PORT, got "${s}"`);
}

export async function radtest(o: RadtestOptions): Promise<RadtestResult> {
  const { host, port } = parseHostPort(o.server, 1812);
  const secret = Buffer.from(o.secret, "utf8");
  const identifier = randomBytes(1)[0] ?? 0;
  const authenticator = randomBytes(16);
  const attrs: AttributeInput[] = [];
  let code: number = Code.StatusServer;
  if (!o.status) {
    if (!o.user || o.password === undefined) throw new Error("--user and --password are required (or --status)");
    code = Code.AccessRequest;
    const password = Buffer.from(o.password, "utf8");
    attrs.push({ type: Attr.UserName, value: Buffer.from(o.user, "utf8") });
    if (o.chap) {
      // RFC 2865 §5.3: CHAP-Password = ident + MD5(ident + password + challenge), challenge = Request Authenticator.
      const ident = randomBytes(1);
      const digest = createHash("md5").update(ident).update(password).update(authenticator).digest();
      attrs.push({ type: Attr.ChapPassword, value: Buffer.concat([ident, digest]) });
    } else {
      attrs.push({ type: Attr.UserPassword, value: hidePassword(password, secret, authenticator) });
    }
  }
  const nasIp = o.nasIp ?? "127.0.0.1";
  attrs.push({ type: Attr.NasIpAddress, value: Buffer.from(nasIp.split(".").map(Number)) });
  const request = encodeRequest({ code, identifier, secret, attributes: attrs, messageAuthenticator: true, authenticator });

  const socket = dgram.createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  try {
    const reply = await new Promise<Buffer | null>((resolve) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const attempt = (): void => {
        if (tries++ > o.retries) return resolve(null);
        socket.send(request, port, host);
        timer = setTimeout(attempt, o.timeoutMs);
      };
      socket.on("message", (msg) => {
        // Only a reply that proves knowledge of the secret counts.
        try {
          const p = decodePacket(msg);
          if (p.identifier !== identifier || !verifyResponseAuthenticator(p, authenticator, secret)) return;
          if (verifyMessageAuthenticator(p, secret, authenticator) === "invalid") return;
          clearTimeout(timer);
          resolve(msg);
        } catch {
          /* not ours or malformed: keep waiting */
        }
      });
      socket.on("error", () => resolve(null));
      attempt();
    });
    if (!reply) return { code: "none", lines: [`no valid answer from ${host}:${port} after ${o.retries + 1} tries`] };
    const p = decodePacket(reply);
    const lines = [`Received ${codeName(p.code)} Id ${p.identifier} from ${host}:${port} length ${p.raw.length}`];
    for (const a of decodeAttributes(defaultDictionary(), p)) {
      const v = Buffer.isBuffer(a.value) ? `0x${a.value.toString("hex")}` : a.value instanceof Date ? a.value.toISOString() : String(a.value);
      lines.push(`\t${a.name} = ${v}`);
    }
    const kind = p.code === Code.AccessAccept ? "accept" : p.code === Code.AccessReject ? "reject" : "none";
    return { code: kind, lines };
  } finally {
    socket.close();
  }
}
