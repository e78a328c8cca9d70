import { describe, it, expect } from "@jest/globals";
import { ClientTable, parseAddress } from "../../src/verify/clients.js";

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
