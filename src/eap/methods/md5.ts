// EAP-MD5-Challenge (RFC 3748 §5.4): CHAP (RFC 1994) inside EAP. No keys: no MSK, so no MPPE
// keys in the Access-Accept; it cannot serve WPA-Enterprise, only wired 802.1X and tests.
import { createHash, timingSafeEqual } from "node:crypto";
import { EapType } from "../packet.js";
import type { EapMethod, EapMethodContext, EapMethodSession, MethodStep, SubscriberLookup } from "../method.js";
import type { RejectReason } from "../../handle/decision.js";

const VALUE_SIZE = 16;

class Md5Session implements EapMethodSession {
  private challenge: Buffer | null = null;
  private password: Buffer | null = null;
  private refusal: RejectReason | null = null;
  private sub: Extract<SubscriberLookup, { result: "found" }>["sub"] | null = null;

  async start(ctx: EapMethodContext): Promise<MethodStep> {
    const found = await ctx.lookup(ctx.identity);
    if (found.result === "reject") this.refusal = found.reason;
    // CHAP needs the cleartext: an scrypt hash or an NT hash cannot answer it.
    else if (found.sub.password === undefined) this.refusal = "method_not_possible";
    else {
      this.password = Buffer.from(found.sub.password, "utf8");
      this.sub = found.sub;
    }
    // The challenge goes out whatever the lookup said, so that a reject comes at the same step
    // for a wrong password and for an unknown user.
    this.challenge = ctx.random(VALUE_SIZE);
    // RFC 3748 §5.4: Value-Size, Value, then an optional Name (none).
    return { kind: "request", data: Buffer.concat([Buffer.from([VALUE_SIZE]), this.challenge]) };
  }

  process(data: Buffer, ctx: EapMethodContext): MethodStep {
    const challenge = this.challenge;
    if (!challenge) return { kind: "failure", reason: "eap_method_error" };
    const size = data[0];
    // RFC 1994 §4.1: an MD5 response value is 16 octets.
    if (size !== VALUE_SIZE || data.length < 1 + VALUE_SIZE) return { kind: "failure", reason: "eap_method_error" };
    if (this.refusal) return { kind: "failure", reason: this.refusal, identity: ctx.identity };
    // RFC 1994 §4.1: MD5(Identifier || secret || challenge), Identifier that of the Request.
    const expected = createHash("md5").update(Buffer.from([ctx.identifier])).update(this.password!).update(challenge).digest();
    if (!timingSafeEqual(expected, data.subarray(1, 1 + VALUE_SIZE))) return { kind: "failure", reason: "bad_password", identity: ctx.identity };
    return { kind: "success", identity: ctx.identity, subscriber: this.sub! };
  }

  dispose(): void {
    this.password?.fill(0);
    this.password = null;
  }
}

export const eapMd5: EapMethod = {
  name: "md5",
  type: EapType.Md5Challenge,
  create: () => new Md5Session(),
};
