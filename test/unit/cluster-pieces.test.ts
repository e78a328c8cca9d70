// The pure pieces of `serve --workers N`: which sockets each worker reads, and the merge of the
// workers' Prometheus texts.
import { describe, it, expect } from "@jest/globals";
import { groupLayout, workerOfQueue, workerSocketIndices } from "../../src/cluster/layout.js";
import { mergePrometheus } from "../../src/cluster/metrics-merge.js";
import { Metrics } from "../../src/metrics/counters.js";

describe("socket layout", () => {
  it("gives each worker its own flow sockets and State socket, plus the shared Status-Server socket", () => {
    const l = groupLayout(3, 2);
    expect(l.plan.sockets).toBe(10);
    expect(workerSocketIndices(l, 0)).toEqual([0, 1, 6, 9]);
    expect(workerSocketIndices(l, 2)).toEqual([4, 5, 8, 9]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((q) => workerOfQueue(l, q))).toEqual([0, 0, 1, 1, 2, 2, 0, 1, 2, null]);
    expect(l.reducedFrom).toBeNull();
  });

  it("counts 0 flows as 1 and lowers flows to fit a group of 64 sockets", () => {
    expect(groupLayout(2, 0).flowsPerWorker).toBe(1);
    const l = groupLayout(8, 16);
    expect(l.flowsPerWorker).toBe(6);
    expect(l.reducedFrom).toBe(16);
    expect(l.plan.sockets).toBe(57);
    expect(groupLayout(31, 4).plan.sockets).toBe(63);
    expect(() => groupLayout(32, 1)).toThrow(/workers must be 1\.\.31/);
  });
});

describe("merged /metrics", () => {
  it("writes each family's HELP and TYPE once and labels every sample with its worker", () => {
    const texts = [0, 1].map((w) => {
      const m = new Metrics();
      m.describe("aaa_datagrams_total", "Datagrams.");
      m.counter("aaa_datagrams_total", { outcome: "answered" }).value = 10 + w;
      m.histogram("aaa_response_seconds", { class: "access" }).observe(0.001);
      m.gauge("aaa_up", "Up.", () => [{ labels: {}, value: 1 }]);
      return { worker: String(w), text: m.toPrometheus() };
    });
    const merged = mergePrometheus(texts, "# TYPE aaa_cluster_workers gauge\naaa_cluster_workers 2\n");
    const lines = merged.split("\n");
    expect(lines.filter((l) => l === "# HELP aaa_datagrams_total Datagrams.")).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("# TYPE aaa_response_seconds "))).toHaveLength(1);
    expect(lines).toContain('aaa_datagrams_total{worker="0",outcome="answered"} 10');
    expect(lines).toContain('aaa_datagrams_total{worker="1",outcome="answered"} 11');
    expect(lines).toContain('aaa_up{worker="1"} 1');
    expect(lines).toContain('aaa_response_seconds_count{worker="0",class="access"} 1');
    // The samples of a family stay together, after its header.
    const i0 = lines.indexOf('aaa_datagrams_total{worker="0",outcome="answered"} 10');
    expect(lines[i0 + 1]).toBe('aaa_datagrams_total{worker="1",outcome="answered"} 11');
    expect(merged.endsWith("aaa_cluster_workers 2\n")).toBe(true);
  });
});
