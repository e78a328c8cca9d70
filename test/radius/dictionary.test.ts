// FreeRADIUS-format dictionary parsing, includes, errors, and the built-in dictionary.
import { describe, it, expect } from "@jest/globals";
import { readdirSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { Dictionary, defaultDictionary, type AttributeDef } from "../../src/radius/dictionary.js";
import { Attr } from "../../src/radius/codes.js";
import { RadiusError } from "../../src/radius/errors.js";
import { expectRadiusError, fixturePath, radiusErrorOf } from "./helpers.js";

const SAMPLE = [
  "# comment line",
  "ATTRIBUTE\tUser-Name\t1\tstring   # trailing comment",
  "ATTRIBUTE   User-Password   2   string  encrypt=1",
  "ATTRIBUTE\tService-Type\t0x06\tinteger",
  "VALUE\tService-Type\tFramed-User\t2",
  "VALUE\tService-Type\tFramed\t2",
  "VALUE\tService-Type\tHex-Value\t0x10",
  "ATTRIBUTE\tTunnel-Type\t64\tinteger\thas_tag",
  "ATTRIBUTE\tTunnel-Password\t69\tstring\thas_tag,encrypt=2",
  "ATTRIBUTE\tEAP-Message\t79\toctets\tconcat",
  "ATTRIBUTE\tARAP-Password\t70\toctets[16]",
  "\r",
  "VENDOR\t\tExample\t\t32473",
  "VENDOR\t\tWide\t\t4242\tformat=2,1",
  "BEGIN-VENDOR\tExample",
  "ATTRIBUTE\tExample-Int\t1\tinteger",
  "ATTRIBUTE\tExample-Key\t2\toctets\tencrypt=2",
  "VALUE\tExample-Int\tOne\t1",
  "END-VENDOR\tExample",
  "ATTRIBUTE\tOld-Style-Vendor-Attr\t3\tstring\tExample",
].join("\r\n");

describe("Dictionary.parse", () => {
  const d = Dictionary.parse(SAMPLE, { fileName: "sample" });

  it("reads attributes, types, codes in decimal and hex", () => {
    expect(d.byName("User-Name")).toMatchObject({ code: 1, vendorId: 0, type: "string", hasTag: false });
    expect(d.byCode(6)?.name).toBe("Service-Type");
    expect(d.byName("ARAP-Password")).toMatchObject({ type: "octets", size: 16 });
  });

  it("is case-insensitive by name", () => {
    expect(d.byName("user-name")?.code).toBe(1);
    expect(d.byName("SERVICE-TYPE")?.code).toBe(6);
    expect(d.vendorId("example")).toBe(32473);
  });

  it("reads flags: encrypt, has_tag, concat", () => {
    expect(d.byName("User-Password")?.encrypt).toBe(1);
    expect(d.byName("Tunnel-Type")?.hasTag).toBe(true);
    expect(d.byName("Tunnel-Password")).toMatchObject({ hasTag: true, encrypt: 2 });
    expect(d.byName("EAP-Message")?.concat).toBe(true);
  });

  it("reads VALUEs; the first name for a number is the display name; lookups ignore case", () => {
    const st = d.byName("Service-Type") as AttributeDef;
    expect(st.values.get("Framed-User")).toBe(2);
    expect(st.values.get("Hex-Value")).toBe(16);
    expect(st.valueNames.get(2)).toBe("Framed-User");
    expect(Dictionary.valueOf(st, "framed")).toBe(2);
    expect(Dictionary.valueOf(st, "nope")).toBeUndefined();
  });

  it("reads VENDOR / BEGIN-VENDOR blocks, vendor formats, and the old 'vendor as 5th field' style", () => {
    expect(d.byName("Example-Int")).toMatchObject({ code: 1, vendorId: 32473 });
    expect(d.byCode(1, 32473)?.name).toBe("Example-Int");
    expect(d.byCode(1)?.name).toBe("User-Name");
    expect(d.byName("Example-Key")?.encrypt).toBe(2);
    expect(d.byName("Example-Int")?.valueNames.get(1)).toBe("One");
    expect(d.byName("Old-Style-Vendor-Attr")).toMatchObject({ code: 3, vendorId: 32473 });
    expect(d.vendor(4242)).toMatchObject({ name: "Wide", typeSize: 2, lengthSize: 1 });
    expect(d.vendor("example")?.id).toBe(32473);
  });

  it("marks unsupported types and skips TLV contents and dotted OIDs", () => {
    const t = Dictionary.parse(
      [
        "ATTRIBUTE\tSome-Tlv\t200\ttlv",
        "BEGIN-TLV\tSome-Tlv",
        "ATTRIBUTE\tSome-Child\t1\tstring",
        "END-TLV\tSome-Tlv",
        "ATTRIBUTE\tExt-Attr\t241.1\tstring",
        "ATTRIBUTE\tInternal\t1000\tinteger",
        "ATTRIBUTE\tLong-One\t5\toctets\tlong",
      ].join("\n"),
    );
    expect(t.byName("Some-Tlv")?.unsupported).toMatch(/tlv/);
    expect(t.byName("Some-Child")).toBeUndefined();
    expect(t.byName("Ext-Attr")).toBeUndefined();
    expect(t.skippedAttributes()).toEqual(expect.arrayContaining(["Some-Tlv", "Some-Child", "Ext-Attr"]));
    expect(t.byName("Internal")?.unsupported).toMatch(/internal/);
    expect(t.byName("Long-One")?.unsupported).toMatch(/long/);
  });

  it("keeps VALUEs for attributes defined later, and resolves them across merge()", () => {
    const early = Dictionary.parse("VALUE\tFoo\tBar\t3\nATTRIBUTE\tFoo\t200\tinteger\n");
    expect(early.byName("Foo")?.values.get("Bar")).toBe(3);
    const values = Dictionary.parse("VALUE\tService-Type\tExtra\t99\n", { fileName: "extra" });
    expect(values.unresolvedValues()).toEqual([{ attribute: "Service-Type", name: "Extra", value: 99, file: "extra", line: 1 }]);
    const merged = d.merge(values);
    expect(merged.unresolvedValues()).toEqual([]);
    expect(merged.byName("Service-Type")?.values.get("Extra")).toBe(99);
    expect(merged.byName("Service-Type")?.values.get("Framed-User")).toBe(2);
    // The originals are untouched.
    expect(d.byName("Service-Type")?.values.has("Extra")).toBe(false);
  });

  it("merge keeps aliases by name without changing which name a number decodes to", () => {
    const a = Dictionary.parse("ATTRIBUTE\tAlias-Old\t8\tinteger\nATTRIBUTE\tAlias-New\t8\tinteger\n");
    expect(a.byCode(8)?.name).toBe("Alias-New");
    const m = a.merge(Dictionary.parse("ATTRIBUTE\tOther\t9\tstring\n"));
    expect(m.byCode(8)?.name).toBe("Alias-New");
    expect(m.byName("alias-old")?.code).toBe(8);
  });

  it("merge: the other dictionary wins on conflicts", () => {
    const other = Dictionary.parse("ATTRIBUTE\tUser-Name\t1\toctets\nATTRIBUTE\tExample-Int\t9\tstring\n");
    const m = d.merge(other);
    expect(m.byName("User-Name")?.type).toBe("octets");
    expect(m.byName("Example-Int")).toMatchObject({ code: 9, vendorId: 0, type: "string" });
    expect(m.byCode(1, 32473)).toBeUndefined();
    expect(m.byName("Tunnel-Password")?.encrypt).toBe(2);
  });
});

describe("Dictionary.parse errors carry file:line", () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ["unknown keyword", "ATTRIBUTE\tA\t1\tstring\nFROBNICATE x", 2, /unknown keyword/],
    ["unknown type", "ATTRIBUTE\tA\t1\tstrung", 1, /unknown type/],
    ["bad number", "ATTRIBUTE\tA\tone\tstring", 1, /bad attribute number/],
    ["attribute 0", "ATTRIBUTE\tA\t0\tstring", 1, />= 1/],
    ["too few fields", "ATTRIBUTE\tA\t1", 1, /ATTRIBUTE needs/],
    ["unknown flag", "ATTRIBUTE\tA\t1\tstring\tsparkly", 1, /unknown flag/],
    ["encrypt on integer", "ATTRIBUTE\tA\t1\tinteger\tencrypt=1", 1, /only allowed on string/],
    ["has_tag on ipaddr", "ATTRIBUTE\tA\t1\tipaddr\thas_tag", 1, /has_tag/],
    ["encrypt=7", "ATTRIBUTE\tA\t1\tstring\tencrypt=7", 1, /encrypt=7/],
    ["size on integer", "ATTRIBUTE\tA\t1\tinteger[4]", 1, /size/],
    ["same name, other number", "ATTRIBUTE\tA\t1\tstring\nATTRIBUTE\tA\t2\tstring", 2, /already defined/],
    ["VALUE on a string", "ATTRIBUTE\tA\t1\tstring\nVALUE\tA\tB\t1", 2, /VALUE for A/],
    ["VALUE with a bad number", "ATTRIBUTE\tA\t1\tinteger\nVALUE\tA\tB\tx1", 2, /bad number/],
    ["vendor id too big", "VENDOR\tV\t16777216", 1, /bad vendor id/],
    ["bad vendor format", "VENDOR\tV\t5\tformat=3,1", 1, /bad vendor format/],
    ["BEGIN-VENDOR of unknown vendor", "BEGIN-VENDOR\tNope", 1, /unknown vendor/],
    ["END-VENDOR mismatch", "VENDOR\tV\t5\nBEGIN-VENDOR\tV\nEND-VENDOR\tW", 3, /does not match/],
    ["END-VENDOR without BEGIN", "END-VENDOR\tV", 1, /without BEGIN-VENDOR/],
    ["unclosed BEGIN-VENDOR", "VENDOR\tV\t5\nBEGIN-VENDOR\tV\nATTRIBUTE\tA\t1\tstring", 3, /never closed/],
    ["vendor attribute too big for format", "VENDOR\tV\t5\nBEGIN-VENDOR\tV\nATTRIBUTE\tA\t256\tstring\nEND-VENDOR\tV", 3, /exceeds 255/],
    ["$INCLUDE without a reader", "$INCLUDE\tother", 1, /no include reader/],
  ];
  it.each(cases)("%s", (_n, text, line, re) => {
    const e = expectRadiusError(() => Dictionary.parse(text, { fileName: "dict.test" }), "RADIUS_ERR_DICTIONARY");
    expect(e.file).toBe("dict.test");
    expect(e.line).toBe(line);
    expect(e.message).toMatch(new RegExp(`^dict\\.test:${line}: `));
    expect(e.message).toMatch(re);
  });
});

describe("$INCLUDE", () => {
  const files: Record<string, string> = {
    "/d/dictionary": "$INCLUDE dictionary.one\n$INCLUDE sub/dictionary.two\n$INCLUDE- dictionary.optional\n",
    "/d/dictionary.one": "ATTRIBUTE\tOne\t1\tstring\n",
    "/d/sub/dictionary.two": "ATTRIBUTE\tTwo\t2\tinteger\n$INCLUDE dictionary.three\n",
    "/d/sub/dictionary.three": "VALUE\tTwo\tThree\t3\n",
    "/d/loop.a": "$INCLUDE loop.b\n",
    "/d/loop.b": "\n$INCLUDE loop.a\n",
    "/d/missing": "ATTRIBUTE\tX\t1\tstring\n$INCLUDE nowhere\n",
  };
  const readInclude = (name: string, from: string): string => {
    const p = path.join(path.dirname(from), name);
    const t = files[p];
    if (t === undefined) throw new Error(`ENOENT ${p}`);
    return t;
  };

  it("resolves nested includes relative to the including file; optional ones may be missing", () => {
    const d = Dictionary.parse(files["/d/dictionary"] as string, { fileName: "/d/dictionary", readInclude });
    expect(d.byName("One")?.code).toBe(1);
    expect(d.byName("Two")?.values.get("Three")).toBe(3);
  });

  it("names a cycle", () => {
    const e = expectRadiusError(() => Dictionary.parse(files["/d/loop.a"] as string, { fileName: "/d/loop.a", readInclude }), "RADIUS_ERR_DICTIONARY");
    expect(e.message).toMatch(/cycle: \/d\/loop\.a -> \/d\/loop\.b -> \/d\/loop\.a/);
    expect(e.file).toBe("/d/loop.b");
    expect(e.line).toBe(2);
  });

  it("names a missing file with the including file and line", () => {
    const e = expectRadiusError(() => Dictionary.parse(files["/d/missing"] as string, { fileName: "/d/missing", readInclude }), "RADIUS_ERR_DICTIONARY");
    expect(e.message).toMatch(/^\/d\/missing:2: \$INCLUDE nowhere: cannot read it/);
  });
});

describe("Dictionary.loadFile", () => {
  it("loads the fixture tree with $INCLUDEs", async () => {
    const d = await Dictionary.loadFile(fixturePath("dict/dictionary"));
    expect(d.byName("Acme-Rate")).toMatchObject({ code: 1, vendorId: 99999 });
    expect(d.byName("Acme-Rate")?.values.get("Gold")).toBe(3);
    expect(d.byName("Service-Type")?.values.get("Acme-Special")).toBe(200);
    expect(d.byName("Tunnel-Password")).toMatchObject({ hasTag: true, encrypt: 2 });
  });

  it("reports an include cycle between files", async () => {
    const e = await Dictionary.loadFile(fixturePath("dict-cycle/dictionary.a")).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RadiusError);
    expect((e as RadiusError).code).toBe("RADIUS_ERR_DICTIONARY");
    expect((e as RadiusError).message).toMatch(/cycle/);
  });

  it("reports a missing file", async () => {
    const e = await Dictionary.loadFile(fixturePath("dict/no-such-file")).catch((x: unknown) => x);
    expect((e as RadiusError).code).toBe("RADIUS_ERR_DICTIONARY");
  });

  const radiusDictDir = path.join(path.dirname(createRequire(import.meta.url).resolve("radius/package.json")), "dictionaries");

  it("loads dictionary.rfc2865 from the radius package", async () => {
    const d = await Dictionary.loadFile(path.join(radiusDictDir, "dictionary.rfc2865"));
    expect(d.byName("User-Password")?.encrypt).toBe(1);
    expect(d.byName("NAS-Port-Type")?.values.get("Ethernet")).toBe(15);
    expect(d.attributes().length).toBeGreaterThan(40);
  });

  it("loads every radius package dictionary, and they agree with the built-in one", async () => {
    let all: Dictionary | undefined;
    for (const f of readdirSync(radiusDictDir).sort()) {
      const d = await Dictionary.loadFile(path.join(radiusDictDir, f));
      all = all === undefined ? d : all.merge(d);
    }
    const merged = all as Dictionary;
    expect(merged.unresolvedValues()).toEqual([]);
    const ours = defaultDictionary();
    // Deliberate difference: these are opaque octets in RFC 4072 / RFC 4372; FreeRADIUS says string.
    const intentional = new Set(["EAP-Key-Name", "Chargeable-User-Identity"]);
    let compared = 0;
    for (const def of merged.attributes()) {
      const mine = ours.byName(def.name);
      if (mine === undefined || intentional.has(def.name)) continue;
      compared++;
      expect([def.name, mine.code, mine.vendorId, mine.type, mine.hasTag, mine.encrypt]).toEqual([def.name, def.code, def.vendorId, def.type, def.hasTag, def.encrypt]);
      for (const [n, v] of def.values) expect([def.name, n, Dictionary.valueOf(mine, n)]).toEqual([def.name, n, v]);
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe("defaultDictionary", () => {
  const d = defaultDictionary();

  it("is built once", () => {
    expect(defaultDictionary()).toBe(d);
  });

  it("has the required vendors", () => {
    expect(d.vendorId("Microsoft")).toBe(311);
    expect(d.vendorId("Cisco")).toBe(9);
    expect(d.vendorId("Juniper")).toBe(2636);
    expect(d.vendorId("Mikrotik")).toBe(14988);
    expect(d.vendorId("WISPr")).toBe(14122);
  });

  it.each<[string, number, number, string]>([
    ["MS-CHAP-Challenge", 311, 11, "octets"],
    ["MS-CHAP2-Response", 311, 25, "octets"],
    ["MS-CHAP2-Success", 311, 26, "octets"],
    ["MS-MPPE-Send-Key", 311, 16, "octets"],
    ["MS-MPPE-Recv-Key", 311, 17, "octets"],
    ["MS-Primary-DNS-Server", 311, 28, "ipaddr"],
    ["Cisco-AVPair", 9, 1, "string"],
    ["Cisco-NAS-Port", 9, 2, "string"],
    ["Juniper-Local-User-Name", 2636, 1, "string"],
    ["Juniper-Allow-Commands", 2636, 2, "string"],
    ["Mikrotik-Rate-Limit", 14988, 8, "string"],
    ["Mikrotik-Group", 14988, 3, "string"],
    ["WISPr-Bandwidth-Max-Up", 14122, 7, "integer"],
    ["WISPr-Bandwidth-Max-Down", 14122, 8, "integer"],
    ["WISPr-Session-Terminate-Time", 14122, 9, "string"],
    ["WISPr-Location-Name", 14122, 2, "string"],
    ["NAS-IPv6-Address", 0, 95, "ipv6addr"],
    ["Framed-IPv6-Prefix", 0, 97, "ipv6prefix"],
    ["Framed-Interface-Id", 0, 96, "ifid"],
    ["Delegated-IPv6-Prefix", 0, 123, "ipv6prefix"],
    ["Event-Timestamp", 0, 55, "date"],
    ["Error-Cause", 0, 101, "integer"],
  ])("%s is vendor %i type %i (%s)", (name, vendorId, code, type) => {
    expect(d.byName(name)).toMatchObject({ vendorId, code, type });
    expect(d.byCode(code, vendorId)?.name).toBe(name);
  });

  it("has the flags and values that matter", () => {
    expect(d.byName("MS-MPPE-Send-Key")?.encrypt).toBe(2);
    expect(d.byName("MS-MPPE-Recv-Key")?.encrypt).toBe(2);
    expect(d.byName("User-Password")?.encrypt).toBe(1);
    expect(d.byName("Tunnel-Password")).toMatchObject({ hasTag: true, encrypt: 2 });
    for (const n of ["Tunnel-Type", "Tunnel-Medium-Type", "Tunnel-Private-Group-Id", "Tunnel-Client-Endpoint"]) expect(d.byName(n)?.hasTag).toBe(true);
    expect(d.byName("EAP-Message")?.concat).toBe(true);
    expect(d.byName("Service-Type")?.values.get("Authorize-Only")).toBe(17);
    expect(d.byName("Tunnel-Type")?.values.get("VLAN")).toBe(13);
    const ec = d.byName("Error-Cause") as AttributeDef;
    expect(ec.values.get("Session-Context-Not-Found")).toBe(503);
    expect(ec.values.get("Unsupported-Attribute")).toBe(401);
    expect(ec.valueNames.get(201)).toBe("Residual-Session-Context-Removed");
    expect(Dictionary.valueOf(ec, "proxy-request-not-routable")).toBe(502);
    expect(d.unresolvedValues()).toEqual([]);
  });

  it("agrees with every Attr constant", () => {
    const names: Record<keyof typeof Attr, string> = {
      UserName: "User-Name", UserPassword: "User-Password", ChapPassword: "CHAP-Password", NasIpAddress: "NAS-IP-Address",
      NasPort: "NAS-Port", ServiceType: "Service-Type", FramedProtocol: "Framed-Protocol", FramedIpAddress: "Framed-IP-Address",
      FramedIpNetmask: "Framed-IP-Netmask", FramedRouting: "Framed-Routing", FilterId: "Filter-Id", FramedMtu: "Framed-MTU",
      FramedCompression: "Framed-Compression", LoginIpHost: "Login-IP-Host", LoginService: "Login-Service", ReplyMessage: "Reply-Message",
      FramedRoute: "Framed-Route", State: "State", Class: "Class", VendorSpecific: "Vendor-Specific", SessionTimeout: "Session-Timeout",
      IdleTimeout: "Idle-Timeout", TerminationAction: "Termination-Action", CalledStationId: "Called-Station-Id",
      CallingStationId: "Calling-Station-Id", NasIdentifier: "NAS-Identifier", ProxyState: "Proxy-State",
      AcctStatusType: "Acct-Status-Type", AcctDelayTime: "Acct-Delay-Time", AcctInputOctets: "Acct-Input-Octets",
      AcctOutputOctets: "Acct-Output-Octets", AcctSessionId: "Acct-Session-Id", AcctAuthentic: "Acct-Authentic",
      AcctSessionTime: "Acct-Session-Time", AcctInputPackets: "Acct-Input-Packets", AcctOutputPackets: "Acct-Output-Packets",
      AcctTerminateCause: "Acct-Terminate-Cause", AcctMultiSessionId: "Acct-Multi-Session-Id", AcctLinkCount: "Acct-Link-Count",
      AcctInputGigawords: "Acct-Input-Gigawords", AcctOutputGigawords: "Acct-Output-Gigawords", EventTimestamp: "Event-Timestamp",
      ChapChallenge: "CHAP-Challenge", NasPortType: "NAS-Port-Type", PortLimit: "Port-Limit", TunnelType: "Tunnel-Type",
      TunnelMediumType: "Tunnel-Medium-Type", TunnelClientEndpoint: "Tunnel-Client-Endpoint", TunnelServerEndpoint: "Tunnel-Server-Endpoint",
      TunnelPassword: "Tunnel-Password", ConnectInfo: "Connect-Info", EapMessage: "EAP-Message", MessageAuthenticator: "Message-Authenticator",
      TunnelPrivateGroupId: "Tunnel-Private-Group-Id", AcctInterimInterval: "Acct-Interim-Interval", NasPortId: "NAS-Port-Id",
      FramedPool: "Framed-Pool", ChargeableUserIdentity: "Chargeable-User-Identity", NasIpv6Address: "NAS-IPv6-Address",
      FramedInterfaceId: "Framed-Interface-Id", FramedIpv6Prefix: "Framed-IPv6-Prefix", ErrorCause: "Error-Cause",
      DelegatedIpv6Prefix: "Delegated-IPv6-Prefix", FramedIpv6Address: "Framed-IPv6-Address",
    };
    for (const [key, name] of Object.entries(names)) {
      expect([key, d.byName(name)?.code, d.byName(name)?.vendorId]).toEqual([key, Attr[key as keyof typeof Attr], 0]);
    }
  });

  it("a RadiusError from a dictionary names file and line (radiusErrorOf sanity)", () => {
    const e = radiusErrorOf(() => Dictionary.parse("\n\nBOGUS", { fileName: "x" }));
    expect([e.file, e.line]).toEqual(["x", 3]);
  });
});
