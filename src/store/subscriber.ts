// Subscriber and group records: the single source of truth for what the store accepts, what an
// import file line may contain, and (via z.toJSONSchema) the published JSON schema. Keep this
// file free of transforms/preprocess: z.toJSONSchema(subscriberSchema) must keep working.
import { z } from "zod";

/** Length in octets, because RADIUS limits are in octets, not UTF-16 code units. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

// C0 controls, DEL and C1 controls. A username containing them is almost always an import bug
// (stray \r, \t, NUL) and would make log lines and Redis keys ambiguous.
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/** Group names end up in Redis keys and config files: keep them boring. */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

// Attribute names as written in RADIUS dictionaries ("Session-Timeout", "3GPP-IMSI",
// "Cisco-AVPair"). Restricting the first character also keeps "__proto__" out of reply objects.
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const usernameSchema = z
  .string()
  .min(1, { error: "username must not be empty" })
  // maxLength in characters is a necessary condition for the octet limit and, unlike the
  // refinement below, shows up in the generated JSON schema.
  .max(253, { error: "username must be at most 253 octets" })
  .regex(NO_CONTROL_CHARS, { error: "username must not contain control characters" })
  // Only when the character check passed, so one problem yields one message.
  .refine((s) => s.length > 253 || utf8Length(s) <= 253, { error: "username must be at most 253 octets (UTF-8)" })
  .meta({ description: "RADIUS User-Name, 1..253 octets (UTF-8), no control characters." });

export const groupNameSchema = z
  .string()
  .regex(GROUP_NAME_PATTERN, { error: "group name must be 1..64 characters of [A-Za-z0-9._-]" })
  .meta({ description: "Group profile name, 1..64 characters of [A-Za-z0-9._-]." });

const replyScalarSchema = z.union([z.string(), z.number()]);

export const replyValueSchema = z
  .union([
    replyScalarSchema,
    // An attribute that occurs several times in the reply (e.g. two Framed-Route values).
    z.array(replyScalarSchema).min(1, { error: "a multi-valued attribute needs at least one value" }),
  ])
  .meta({ description: "Attribute value; an array sends the attribute once per element." });

export const replySchema = z
  .record(
    z.string().regex(ATTRIBUTE_NAME_PATTERN, { error: "invalid attribute name" }),
    replyValueSchema,
  )
  .meta({
    description:
      "Reply attributes by dictionary name. Values are checked against the RADIUS dictionary at import time, not here.",
  });

export const subscriberSchema = z
  .strictObject({
    username: usernameSchema,
    password: z
      .string()
      .min(1, { error: "password must not be empty" })
      .max(128, { error: "password must be at most 128 octets" })
      .refine((s) => s.length > 128 || utf8Length(s) <= 128, { error: "password must be at most 128 octets (UTF-8)" })
      .optional()
      .meta({
        description:
          "Cleartext password, 1..128 octets: PAP, CHAP, MS-CHAPv2, EAP-MD5, EAP-MSCHAPv2. Exactly one of password / passwordHash / ntHash.",
      }),
    passwordHash: z
      .string()
      // regex rather than startsWith: the latter emits a non-standard JSON schema "format".
      .regex(/^\$scrypt\$/, { error: 'passwordHash must be a PHC string starting with "$scrypt$"' })
      .max(1024, { error: "passwordHash is too long" })
      .optional()
      .meta({
        description: 'scrypt PHC string ("$scrypt$..."). PAP only. Exactly one of password / passwordHash / ntHash.',
      }),
    ntHash: z
      .string()
      .regex(/^[0-9A-Fa-f]{32}$/, { error: "ntHash must be 32 hexadecimal digits (MD4 of the UTF-16LE password)" })
      .optional()
      .meta({
        description:
          "NT hash: 32 hex digits, MD4 of the UTF-16LE password. PAP, MS-CHAPv2 and EAP-MSCHAPv2 without the cleartext (not CHAP or EAP-MD5). Password-equivalent for MS-CHAPv2: protect it like a password. Exactly one of password / passwordHash / ntHash.",
      }),
    enabled: z.boolean().default(true).meta({ description: "A disabled subscriber is rejected. Default true." }),
    expiresAt: z.iso
      .datetime({ offset: true, error: "expiresAt must be an ISO 8601 date-time with Z or an offset" })
      .optional()
      .meta({ description: "ISO 8601 date-time with Z or offset; rejected from this instant on." }),
    groups: z
      .array(groupNameSchema)
      .default([])
      .meta({ description: "Group profiles applied in order; a later group overrides an earlier one." }),
    reply: replySchema.default({}).meta({
      description: "Subscriber reply attributes; override group attributes of the same name.",
    }),
    maxSessions: z
      .int()
      .positive({ error: "maxSessions must be a positive integer" })
      .optional()
      .meta({ description: "Maximum concurrent sessions (Simultaneous-Use): checked at Access-Request against live sessions and recent Accepts; absent: no limit." }),
  })
  // One credential per record: a second one could disagree with the first (a password and an
  // ntHash of another password), and which one counted would then depend on the method.
  .refine((s) => credentialCount(s) === 1, {
    error: (iss) => {
      const v = iss.input as { password?: unknown; passwordHash?: unknown; ntHash?: unknown } | undefined;
      return v && credentialCount(v) > 1
        ? "exactly one of password / passwordHash / ntHash is allowed, got more"
        : "exactly one of password / passwordHash / ntHash is required, got none";
    },
  })
  .meta({
    title: "Subscriber",
    description: "One subscriber: one line of a subscribers JSONL file, one Redis record.",
    // Not derivable from the refinement above; spelled out for JSON schema consumers.
    oneOf: [{ required: ["password"] }, { required: ["passwordHash"] }, { required: ["ntHash"] }],
  });

function credentialCount(s: { password?: unknown; passwordHash?: unknown; ntHash?: unknown }): number {
  return (s.password !== undefined ? 1 : 0) + (s.passwordHash !== undefined ? 1 : 0) + (s.ntHash !== undefined ? 1 : 0);
}

export const groupSchema = z
  .strictObject({
    group: groupNameSchema,
    reply: replySchema.default({}).meta({ description: "Reply attributes of the group profile." }),
  })
  .meta({ title: "Group", description: "A group profile: reply attributes shared by its subscribers." });

export type Subscriber = z.output<typeof subscriberSchema>;
/** What a caller may write (defaults not yet applied). */
export type SubscriberInput = z.input<typeof subscriberSchema>;
export type Group = z.output<typeof groupSchema>;
export type GroupInput = z.input<typeof groupSchema>;
export type Reply = z.output<typeof replySchema>;
export type ReplyValue = z.output<typeof replyValueSchema>;

/**
 * Whether the account may log in at `now` (enabled and not expired). The store does not enforce
 * this itself: the pipeline decides and picks the reject reason.
 */
export function isActive(sub: Pick<Subscriber, "enabled" | "expiresAt">, now: number = Date.now()): boolean {
  if (!sub.enabled) return false;
  return sub.expiresAt === undefined || Date.parse(sub.expiresAt) > now;
}

/**
 * Cheap pre-check for lookups: a name the schema would reject cannot be stored, so the store
 * answers "unknown user" without a round trip (and never builds a key from garbage).
 */
export function isPlausibleUsername(username: string): boolean {
  return (
    username.length > 0 &&
    username.length <= 253 &&
    NO_CONTROL_CHARS.test(username) &&
    utf8Length(username) <= 253
  );
}

/**
 * One-line summary of zod issues: field paths and zod's messages only. Zod's default messages
 * never quote the input value, and neither do ours, so a password cannot leak through this.
 */
export function summarizeIssues(error: z.ZodError): string {
  // prettifyError yields "✖ message" lines, each optionally followed by "  → at path".
  const items: string[] = [];
  for (const raw of z.prettifyError(error).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("✖")) items.push(line.replace(/^✖\s*/, ""));
    else if (line.startsWith("→") && items.length > 0) items[items.length - 1] += ` (${line.replace(/^→\s*/, "")})`;
  }
  return items.join("; ");
}
