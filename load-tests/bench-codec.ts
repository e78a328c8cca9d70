// Micro-benchmark of the RADIUS codec hot path, one core, no I/O:
//   decodePacket + verifyMessageAuthenticator + unhidePassword + encodeResponse (with MA).
// MD5 / HMAC-MD5 alone against node:crypto: load-tests/bench-md5.ts.
// Run: npx tsx load-tests/bench-codec.ts [seconds]
import { Attr, Code } from "../src/radius/codes.js";
import { decodePacket, findAttribute } from "../src/radius/packet.js";
import { unhidePassword, verifyMessageAuthenticator } from "../src/radius/authenticator.js";
import { encodeRequest, encodeResponse, type AttributeInput } from "../src/radius/encode.js";
import { defaultDictionary } from "../src/radius/dictionary.js";
import { attributesFromObject } from "../src/radius/values.js";

const seconds = Number(process.argv[2] ?? 3);
const secret = Buffer.from("a-realistic-shared-secret-1234");
const dict = defaultDictionary();
const authenticator = Buffer.from("0123456789abcdef");

// A typical broadband PAP Access-Request with a BlastRADIUS-style Message-Authenticator.
const request = encodeRequest({
  code: Code.AccessRequest,
  identifier: 17,
  secret,
  authenticator,
  messageAuthenticator: true,
  attributes: attributesFromObject(
    dict,
    {
      "User-Name": "subscriber-000123@isp.example",
      "User-Password": "correct-horse-battery",
      "NAS-IP-Address": "10.1.2.3",
      "NAS-Port": 1234567,
      "NAS-Port-Type": "Ethernet",
      "Service-Type": "Framed-User",
      "Framed-Protocol": "PPP",
      "Calling-Station-Id": "00:11:22:33:44:55",
      "Called-Station-Id": "bng-01",
      "NAS-Port-Id": "0/1/2/100:100.200",
      "NAS-Identifier": "bng-01.pop1",
      "ADSL-Agent-Circuit-Id": "olt-7 eth 1/1/3:100",
      "ADSL-Agent-Remote-Id": "cpe-abcdef",
      "Event-Timestamp": 1720000000,
    },
    { secret, requestAuthenticator: authenticator },
  ),
});

// A typical Access-Accept from the subscriber profile, pre-encoded (as the server caches it).
const reply: AttributeInput[] = attributesFromObject(dict, {
  "Framed-IP-Address": "100.64.12.34",
  "Session-Timeout": 86400,
  "Acct-Interim-Interval": 300,
  "Class": "0x0011223344556677",
  "Cisco-AVPair": "subscriber:sub-qos-policy-out=100M",
  "Mikrotik-Rate-Limit": "100M/100M",
});

function once(): number {
  const p = decodePacket(request);
  if (verifyMessageAuthenticator(p, secret) !== "valid") throw new Error("MA did not verify");
  const pw = findAttribute(p, Attr.UserPassword);
  if (pw === undefined) throw new Error("no password");
  const clear = unhidePassword(pw.value, secret, p.authenticator);
  const out = encodeResponse({
    code: Code.AccessAccept,
    identifier: p.identifier,
    requestAuthenticator: p.authenticator,
    secret,
    attributes: reply,
    messageAuthenticator: true,
  });
  return clear.length + out.length;
}

// Warm up, then measure in batches until the time is up.
for (let i = 0; i < 20_000; i++) once();
let n = 0;
let sink = 0;
const start = process.hrtime.bigint();
const budget = BigInt(Math.round(seconds * 1e9));
let elapsed = 0n;
while (elapsed < budget) {
  for (let i = 0; i < 1000; i++) sink += once();
  n += 1000;
  elapsed = process.hrtime.bigint() - start;
}
const perSec = n / (Number(elapsed) / 1e9);
console.log(
  `request ${request.length} octets, reply ${reply.length} attributes; ` +
    `${n} iterations in ${(Number(elapsed) / 1e9).toFixed(2)} s: ` +
    `${Math.round(perSec).toLocaleString("en-US")} decode+MA+unhide+encode/s (${(1e6 / perSec).toFixed(2)} µs each)`,
);
// Consume the results so the work cannot be optimised away.
if (sink < n) throw new Error("benchmark produced no output");

