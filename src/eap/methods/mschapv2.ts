// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2-02): MS-CHAPv2 (RFC 2759) in EAP. Rounds:
// Challenge -> Response -> Success Request ("S=...") -> Success Response -> EAP-Success, or
// Failure Request ("E=691 ...") -> Failure Response -> EAP-Failure.
// MSK: the server's MPPE receive key then its send key (RFC 3079 §3.4, 16 octets each), which is
// the order hostapd's server and wpa_supplicant's peer derive.
import { EapType } from "../packet.js";
import type { EapMethod, EapMethodContext, EapMethodSession, MethodStep } from "../method.js";
import type { RejectReason } from "../../handle/decision.js";
import type { Subscriber } from "../../store/subscriber.js";
import {
  asymmetricStartKey,
  authenticatorResponse,
  challengeUserName,
  hashNtPasswordHash,
  masterKey,
  ntResponseMatches,
  subscriberNtHash,
  CHALLENGE_LENGTH,
} from "../../mschap/mschapv2.js";

const OpCode = { Challenge: 1, Response: 2, Success: 3, Failure: 4 } as const;
/** Value-Size of a Response: Peer-Challenge(16) Reserved(8) NT-Response(24) Flags(1). */
const RESPONSE_VALUE_SIZE = 49;
/** Name the server puts in its Challenge (informational for the peer). */
const SERVER_NAME = Buffer.from("carrier-aaa", "ascii");

type Phase = "init" | "challenged" | "success-sent" | "failure-sent" | "done";

/** OpCode(1) MS-CHAPv2-ID(1) MS-Length(2) then the body; MS-Length counts from OpCode on. */
function frame(op: number, msId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = op;
  out[1] = msId & 0xff;
  out.writeUInt16BE(4 + body.length, 2);
  body.copy(out, 4);
  return out;
}

class MsChapV2Session implements EapMethodSession {
  private phase: Phase = "init";
  private challenge: Buffer | null = null;
  private ntHash: Buffer | null = null;
  private sub: Subscriber | null = null;
  private refusal: RejectReason | null = null;
  private msk: Buffer | null = null;
  private failure: RejectReason = "bad_password";

  async start(ctx: EapMethodContext): Promise<MethodStep> {
    const found = await ctx.lookup(ctx.identity);
    if (found.result === "reject") this.refusal = found.reason;
    else {
      this.ntHash = subscriberNtHash(found.sub);
      // An scrypt hash cannot answer an MS-CHAPv2 challenge.
      if (!this.ntHash) this.refusal = "method_not_possible";
      else this.sub = found.sub;
    }
    // The challenge goes out whatever the lookup said: a reject then comes at the same step for
    // an unknown user as for a wrong password.
    this.challenge = ctx.random(CHALLENGE_LENGTH);
    this.phase = "challenged";
    const body = Buffer.concat([Buffer.from([CHALLENGE_LENGTH]), this.challenge, SERVER_NAME]);
    return { kind: "request", data: frame(OpCode.Challenge, ctx.nextIdentifier, body) };
  }

  process(data: Buffer, ctx: EapMethodContext): MethodStep {
    const op = data[0];
    switch (this.phase) {
      case "challenged":
        if (op !== OpCode.Response) return { kind: "failure", reason: "eap_method_error" };
        return this.response(data, ctx);
      case "success-sent":
        // The peer acknowledges our Success Request with a one-octet Success Response.
        if (op !== OpCode.Success || !this.sub || !this.msk) return { kind: "failure", reason: "eap_method_error" };
        this.phase = "done";
        return { kind: "success", identity: ctx.identity, msk: this.msk, subscriber: this.sub };
      case "failure-sent":
        this.phase = "done";
        return { kind: "failure", reason: this.failure, identity: ctx.identity };
      default:
        return { kind: "failure", reason: "eap_method_error" };
    }
  }

  private response(data: Buffer, ctx: EapMethodContext): MethodStep {
    // OpCode(1) ID(1) MS-Length(2) Value-Size(1) Value(49) Name(rest).
    if (data.length < 5 + RESPONSE_VALUE_SIZE || data[4] !== RESPONSE_VALUE_SIZE || data.readUInt16BE(2) !== data.length) {
      return { kind: "failure", reason: "eap_method_error" };
    }
    const peerChallenge = data.subarray(5, 21);
    const ntResponse = data.subarray(29, 53);
    const name = data.subarray(5 + RESPONSE_VALUE_SIZE);
    const userName = challengeUserName(name);
    const challenge = this.challenge!;
    if (this.refusal || !this.ntHash || !ntResponseMatches(ntResponse, challenge, peerChallenge, userName, this.ntHash)) {
      this.failure = this.refusal ?? "bad_password";
      this.phase = "failure-sent";
      // RFC 2759 §6 failure string; R=0: no retry in this conversation.
      const text = `E=691 R=0 C=${challenge.toString("hex").toUpperCase()} V=3 M=Authentication failed`;
      return { kind: "request", data: frame(OpCode.Failure, ctx.nextIdentifier, Buffer.from(text, "ascii")) };
    }
    const s = authenticatorResponse(this.ntHash, ntResponse, peerChallenge, challenge, userName);
    const master = masterKey(hashNtPasswordHash(this.ntHash), ntResponse);
    // Server side: receive key (IsSend false), then send key (IsSend true), 128-bit each.
    this.msk = Buffer.concat([asymmetricStartKey(master, false, true), asymmetricStartKey(master, true, true)]);
    this.phase = "success-sent";
    return { kind: "request", data: frame(OpCode.Success, ctx.nextIdentifier, Buffer.from(`${s} M=OK`, "ascii")) };
  }

  dispose(): void {
    this.ntHash?.fill(0);
    this.msk = null;
    this.ntHash = null;
  }
}

export const eapMsChapV2: EapMethod = {
  name: "mschapv2",
  type: EapType.MsChapV2,
  create: () => new MsChapV2Session(),
};
