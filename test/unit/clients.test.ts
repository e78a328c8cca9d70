import { describe, it, expect } from "@jest/globals";
import { ClientTable, clientPrefix, clientPrefixKey, parseAddress } from "../../src/verify/clients.js";
import { parseConfig, ConfigError } from "../../src/config/load.js";
import { startTestServer } from "../helpers/server.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const c = (name: string, address: string) => ({ name, address, secret: `s-${name}`, requireMessageAuthenticator: true });

describe("client table", () => {
  const table = new ClientTable([c("wide", "10.0.0.0/8"), c("narrow", "10.1.2.0/24"), c("host", "10.1.2.3"), c("v6", "2001:db8::/32"), c("lo6", "::1"), c("all6", "::/0")]);

  it("picks the most specific IPv4 entry", () => {
    expect(table.lookup("10.1.2.3")?.name).toBe("host");
    expect(table.lookup("10.1.2.4")?.name).toBe("narrow");
    expect(table.lookup("10.200.0.1")?.name).toBe("wide");
    expect(table.lookup("11.0.0.1")).toBeNull();
  });

  it("matches IPv6 prefixes and hosts", () => {
    expect(table.lookup("2001:db8:1::5")?.name).toBe("v6");
    expect(table.lookup("::1")?.name).toBe("lo6");
    expect(table.lookup("2001:db9::1")?.name).toBe("all6");
  });

  it("treats IPv4-mapped IPv6 sources as IPv4", () => {
    expect(table.lookup("::ffff:10.1.2.3")?.name).toBe("host");
    expect(table.lookup("::ffff:11.0.0.1")).toBeNull();
  });

  it("keeps the secret as bytes and returns the same answer from its cache", () => {
    const first = table.lookup("10.1.2.9");
    expect(first?.secret.toString()).toBe("s-narrow");
    expect(table.lookup("10.1.2.9")).toBe(first);
    expect(table.lookup("not-an-ip")).toBeNull();
  });

  it("parses compressed and embedded-IPv4 IPv6 forms", () => {
    expect(parseAddress("2001:db8::1")).toEqual({ family: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseAddress("::")).toEqual({ family: 6, value: 0n });
    expect(parseAddress("64:ff9b::192.0.2.1")?.value).toBe((0x64n << 112n) | (0xff9bn << 96n) | 0xc0000201n);
    expect(parseAddress("fe80::1%eth0")).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
  });
});

describe("duplicate clients: addresses compared after normalisation", () => {
  const key = (a: string): string | null => {
    const p = clientPrefix(a);
    return p ? clientPrefixKey(p) : null;
  };

  it("normalises host forms, host bits and IPv4-mapped IPv6", () => {
    expect(key("127.0.0.1")).toBe("127.0.0.1/32");
    expect(key("127.0.0.1/32")).toBe("127.0.0.1/32");
    expect(key("::ffff:127.0.0.1")).toBe("127.0.0.1/32");
    expect(key("::ffff:127.0.0.1/128")).toBe("127.0.0.1/32");
    expect(key("::ffff:10.0.0.0/104")).toBe("10.0.0.0/8");
    expect(key("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(key("::1")).toBe(key("::1/128"));
    expect(key("::1")).toBe(key("0:0:0:0:0:0:0:1/128"));
    expect(key("2001:DB8::/32")).toBe(key("2001:db8:ffff::/32"));
    expect(key("2001:db8::/32")).not.toBe(key("2001:db8::/48"));
    expect(key("10.0.0.0/8")).not.toBe(key("10.0.0.0/16"));
    expect(key("not-an-ip")).toBeNull();
  });

  it("matches an IPv4-mapped prefix as the IPv4 prefix it maps", () => {
    const t = new ClientTable([c("mapped", "::ffff:10.0.0.0/104")]);
    expect(t.lookup("10.200.0.1")?.name).toBe("mapped");
    expect(t.lookup("::ffff:10.1.1.1")?.name).toBe("mapped");
    expect(t.lookup("11.0.0.1")).toBeNull();
  });

  const config = (addrA: string, addrB: string): string => `
clients:
  - { name: first, address: "${addrA}", secret: testing123 }
  - { name: second, address: "${addrB}", secret: other-secret }
store: { redis: { url: "redis://127.0.0.1:6379/0" } }
`;
  const refusal = (a: string, b: string): string => {
    try {
      parseConfig(config(a, b), "c.yaml");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error(`expected ${a} and ${b} to be refused as one client`);
  };

  it.each([
    ["127.0.0.1", "127.0.0.1/32"],
    ["127.0.0.1/32", "::ffff:127.0.0.1"],
    ["10.0.0.0/8", "10.9.9.9/8"],
    ["::1", "0:0:0:0:0:0:0:1/128"],
    ["2001:db8::/32", "2001:DB8:0::/32"],
  ])("refuses %s and %s at start, naming both entries", (a, b) => {
    const msg = refusal(a, b);
    expect(msg).toContain("c.yaml: clients[1].address");
    expect(msg).toContain(`"${b}" (client "second")`);
    expect(msg).toContain(`clients[0].address "${a}" (client "first")`);
    expect(msg).not.toContain("other-secret");
  });

  it("accepts different prefixes of one network (most specific wins)", () => {
    expect(parseConfig(config("10.0.0.0/8", "10.0.0.0/16"), "c.yaml").clients).toHaveLength(2);
    expect(parseConfig(config("127.0.0.1", "::1"), "c.yaml").clients).toHaveLength(2);
  });

  it("refuses them at reload: nothing changes and the error names both", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "aaa-clients-"));
    writeFileSync(path.join(dir, "subs.jsonl"), "");
    const server = await startTestServer({ store: { memory: { file: path.join(dir, "subs.jsonl") } } }, "silent");
    try {
      const next = { ...server.config, clients: [...server.config.clients, { ...server.config.clients[0]!, name: "again", address: "127.0.0.1/32", secret: "other-secret" }] };
      const r = await server.reload(next);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatch(/clients\[1\]\.address: "127\.0\.0\.1\/32" \(client "again"\).*clients\[0\]\.address "127\.0\.0\.1" \(client "test"\)/);
      expect(r.error).not.toContain("other-secret");
      expect(server.runningConfig().clients).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
