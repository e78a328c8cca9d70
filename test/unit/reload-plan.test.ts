// Which changed keys a running server takes over on reload, and which wait for a restart.
import { describe, it, expect } from "@jest/globals";
import { configSchema, type Config } from "../../src/config/schema.js";
import { planReload, effectiveFlows } from "../../src/config/reload.js";

const base = {
  radius: { auth: { host: "127.0.0.1", port: 1812 } },
  clients: [
    { name: "a", address: "10.0.0.1", secret: "one" },
    { name: "b", address: "10.0.0.0/24", secret: "two", weight: 2 },
  ],
  store: { memory: { file: "/tmp/s.jsonl" } },
};

function cfg(patch: (c: typeof base & Record<string, unknown>) => void = () => {}): Config {
  const raw = structuredClone(base) as typeof base & Record<string, unknown>;
  patch(raw);
  return configSchema.parse(raw);
}

describe("planReload", () => {
  it("reports nothing for the same configuration", () => {
    const p = planReload(cfg(), cfg());
    expect(p.applied).toEqual([]);
    expect(p.needsRestart).toEqual([]);
  });

  it("names changed clients and keys, never their values", () => {
    const p = planReload(
      cfg(),
      cfg((c) => {
        c.clients[0]!.secret = "rotated";
        c.clients[1]!.weight = 3;
        c.clients.push({ name: "c", address: "10.0.1.1", secret: "three" });
      }),
    );
    expect(p.applied).toEqual(["clients.a.secret", "clients.b.weight", "clients.c (added)"]);
    expect(p.applied.join(" ")).not.toContain("rotated");
    const removed = planReload(cfg(), cfg((c) => c.clients.pop()));
    expect(removed.applied).toEqual(["clients.b (removed)"]);
  });

  it("applies scheduler, log and auth keys; keeps listener, store, pool, duplicates and http at their running values", () => {
    const next = cfg((c) => {
      c.radius.auth.port = 1645;
      c.store = { memory: { file: "/tmp/other.jsonl" } };
      c["workerPool"] = { size: 4 };
      c["duplicates"] = { windowMs: 1000 };
      c["scheduler"] = { budgetMs: 80 };
      c["log"] = { level: "warn" };
      c["auth"] = { rejectReplyMessage: "no" };
      c["eap"] = { timeoutSeconds: 5 };
    });
    const running = cfg();
    const p = planReload(running, next);
    expect(p.applied).toEqual(["log.level", "auth.rejectReplyMessage", "scheduler.budgetMs"]);
    expect(p.needsRestart).toEqual(["radius.auth.port", "store.memory.file", "workerPool.size", "duplicates.windowMs", "eap.timeoutSeconds"]);
    expect(p.effective.eap).toEqual(running.eap);
    expect(p.effective.radius.auth.port).toBe(1812);
    expect(p.effective.store).toEqual(running.store);
    expect(p.effective.workerPool.size).toBe(running.workerPool.size);
    expect(p.effective.duplicates).toEqual(running.duplicates);
    expect(p.effective.scheduler.budgetMs).toBe(80);
    expect(p.effective.log.level).toBe("warn");
  });

  it("leaves a changed eap.tls to the EAP side when the server has one; adding or removing eap.tls needs a restart", () => {
    const tls = (cert: string) => ({ certFile: cert, keyFile: "/k.pem", caFile: "/ca.pem" });
    const running = cfg((c) => { c["eap"] = { tls: tls("/a.pem") }; });
    const swapped = planReload(running, cfg((c) => { c["eap"] = { tls: tls("/b.pem"), timeoutSeconds: 5 }; }));
    expect(swapped.needsRestart).toEqual(["eap.timeoutSeconds"]);
    expect(swapped.applied).toEqual([]);
    expect(swapped.effective.eap.tls?.certFile).toBe("/b.pem");
    expect(swapped.effective.eap.timeoutSeconds).toBe(running.eap.timeoutSeconds);
    const removed = planReload(running, cfg());
    expect(removed.needsRestart).toEqual(["eap.tls"]);
    expect(removed.effective.eap).toEqual(running.eap);
    const added = planReload(cfg(), running);
    expect(added.needsRestart).toEqual(["eap.tls"]);
    expect(added.effective.eap.tls).toBeUndefined();
  });

  it("sees that turning the scheduler on would change the kernel queues of the bound listener", () => {
    const running = cfg((c) => (c["scheduler"] = { enabled: false }));
    const next = cfg((c) => (c["scheduler"] = { enabled: true }));
    expect(effectiveFlows(running)).toBe(0);
    expect(effectiveFlows(cfg())).toBe(8); // on by default
    expect(effectiveFlows(next)).toBe(8);
    const p = planReload(running, next);
    expect(p.applied).toEqual(["scheduler.enabled"]);
    expect(p.needsRestart).toEqual(["radius.auth.flows (its default follows scheduler.enabled)"]);
    expect(p.effective.scheduler.enabled).toBe(true);
    expect(effectiveFlows(p.effective)).toBe(0);
    // Reported again on the next reload, until a restart.
    expect(planReload(p.effective, next).needsRestart).toEqual(["radius.auth.flows (its default follows scheduler.enabled)"]);
    expect(planReload(p.effective, cfg((c) => ((c["scheduler"] = { enabled: true }), (c.radius.auth as Record<string, unknown>)["flows"] = 0))).needsRestart).toEqual([]);
  });
});

describe("planReload: radius.statusServer, radius.acct and log.authLines", () => {
  it("needs a restart for radius.statusServer and radius.acct; applies log.authLines at once", () => {
    const next = cfg((c) => {
      (c.radius as Record<string, unknown>)["statusServer"] = { answerWhenStoreDown: true };
      (c.radius as Record<string, unknown>)["acct"] = { host: "127.0.0.1", port: 1813 };
      c["log"] = { authLines: { perSecond: 10 } };
    });
    const p = planReload(cfg(), next);
    expect(p.needsRestart).toEqual(expect.arrayContaining(["radius.statusServer.answerWhenStoreDown", expect.stringMatching(/^radius\.acct/)]));
    expect(p.applied).toEqual(["log.authLines.perSecond"]);
    expect(p.effective.radius.statusServer.answerWhenStoreDown).toBe(false);
    expect(p.effective.log.authLines.perSecond).toBe(10);
  });
});
