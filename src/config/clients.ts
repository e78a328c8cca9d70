// Schema of one entry of `clients:` (a NAS) and its shared secret. Apart from schema.ts so that
// the client table (verify/clients.ts) takes it without importing the whole configuration.
import { isIP } from "node:net";
import { z } from "zod";
import { clientWeightSchema } from "../admit/config.js";
import { envNameSchema, port } from "./common.js";

/** "10.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1". */
export function isIpOrCidr(value: string): boolean {
  const [addr, bits, extra] = value.split("/");
  if (extra !== undefined || addr === undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  return n >= 0 && n <= (family === 4 ? 32 : 128);
}

export const clientSecretSchema = z.string().min(1).max(128);

export const clientSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' or '-'"),
  address: z.string().refine(isIpOrCidr, "must be an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)"),
  secret: clientSecretSchema
    .optional()
    .describe("Shared secret with this NAS (RFC 2865 §3). Long random secrets resist offline guessing. Exactly one of secret / secretEnv."),
  secretEnv: envNameSchema
    .optional()
    .describe("Name of an environment variable holding the shared secret (instead of `secret`, keeps it out of the file; read at start and at each reload)."),
  requireMessageAuthenticator: z
    .boolean()
    .default(true)
    .describe("Drop Access-Requests without a valid Message-Authenticator (BlastRADIUS, CVE-2024-3596)."),
  weight: clientWeightSchema.optional().describe("Share of this NAS in fair queuing within a class (default 1)."),
  coa: z
    .strictObject({
      port: port.default(3799).describe("UDP port of the NAS's Dynamic Authorization server (RFC 5176). Default 3799."),
      secret: z
        .string()
        .min(1)
        .max(128)
        .optional()
        .describe("Secret for CoA/Disconnect-Requests to this NAS; default: the client's `secret`."),
    })
    .optional()
    .describe("Where CoA-Request and Disconnect-Request go for this NAS's sessions (sent to the address its accounting came from). Absent: port 3799, the client's secret."),
}).superRefine((c, ctx) => {
  if (c.secret !== undefined && c.secretEnv !== undefined) ctx.addIssue({ code: "custom", path: ["secretEnv"], message: "give secret or secretEnv, not both" });
  if (c.secret === undefined && c.secretEnv === undefined) ctx.addIssue({ code: "custom", path: ["secret"], message: "a client needs secret or secretEnv" });
});

/** A client's shared secret: `secret`, or the value parseConfig read through `secretEnv`. */
export function clientSecret(c: Pick<ClientConfig, "name" | "secret" | "secretEnv">): string {
  if (c.secret === undefined) throw new Error(`client ${c.name}: no secret${c.secretEnv !== undefined ? ` (secretEnv ${c.secretEnv} not read)` : ""}`);
  return c.secret;
}

export type ClientConfig = z.infer<typeof clientSchema>;
