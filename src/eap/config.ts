// The `eap:` section of the server configuration.
import { z } from "zod";
import type { EapMethod, EapMethodName } from "./method.js";
import { eapMd5 } from "./methods/md5.js";
import { eapMsChapV2 } from "./methods/mschapv2.js";

/** Methods this build offers, in the default order of preference (keyed methods first). */
export const EAP_METHODS: Readonly<Partial<Record<EapMethodName, EapMethod>>> = { mschapv2: eapMsChapV2, md5: eapMd5 };
const NAMES = ["mschapv2", "md5"] as const;

export const eapConfigSchema = z
  .strictObject({
    methods: z
      .array(z.enum(NAMES, { error: `eap.methods: each entry must be one of ${NAMES.join(", ")}` }))
      .min(1, { error: "eap.methods: list at least one method (remove the key for every method)" })
      .refine((m) => new Set(m).size === m.length, { error: "eap.methods: a method is listed twice" })
      .optional()
      .describe(`Methods offered, in order of preference: the first is proposed after the peer's identity, a Nak picks another from the list. Absent: every method (${NAMES.join(", ")}).`),
    maxConversations: z
      .int({ error: "eap.maxConversations must be an integer" })
      .min(1, { error: "eap.maxConversations must be at least 1" })
      .max(10_000_000, { error: "eap.maxConversations must be at most 10000000" })
      .default(10_000)
      .describe("EAP conversations held at once; a new one beyond this is dropped (eap_conversations_full) while those in progress continue. Default 10000."),
    timeoutSeconds: z
      .int({ error: "eap.timeoutSeconds must be an integer" })
      .min(1, { error: "eap.timeoutSeconds must be at least 1" })
      .max(600, { error: "eap.timeoutSeconds must be at most 600" })
      .default(30)
      .describe("A conversation whose peer does not answer within this many seconds is freed; a later round with its State gets Access-Reject (eap_unknown_state). Default 30."),
  })
  .describe("EAP (RFC 3748, RFC 3579): methods offered and the conversation store. Takes effect at start.");

export type EapConfig = z.infer<typeof eapConfigSchema>;

/** The configured methods, in order. */
export function configuredMethods(c: EapConfig): EapMethod[] {
  return (c.methods ?? NAMES).map((n) => EAP_METHODS[n]).filter((m): m is EapMethod => m !== undefined);
}
