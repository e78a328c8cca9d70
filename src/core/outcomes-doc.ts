// docs/outcomes.md, rendered from the registry of outcome reasons (outcomes.ts).
import { outcomeReasonRows, type ReasonCounter } from "./outcomes.js";

const SECTIONS: ReadonlyArray<[ReasonCounter, string, string]> = [
  ["answered", "Answered", "`aaa_datagrams_total{outcome=\"answered\"}`: a reply was sent."],
  ["duplicate", "Duplicate", "`aaa_datagrams_total{outcome=\"duplicate\"}`: a retransmission (RFC 5080 §2.2.2)."],
  ["dropped", "Dropped", "`aaa_datagrams_total{outcome=\"dropped\"}`: no reply; the NAS may retransmit."],
  ["shed", "Shed", "`aaa_datagrams_total{outcome=\"shed\"}`: not served, so that others are served in time."],
  ["rejected", "Reject reasons", "`aaa_access_rejects_total{reason}`: why an Access-Reject (`answered`/`reject`) was sent."],
];

export function renderOutcomesDoc(): string {
  const rows = outcomeReasonRows();
  const out = [
    "# Outcome reasons",
    "",
    "Generated from `src/core/outcomes.ts` by `npm run outcomes`; do not edit by hand (a test",
    "checks that this file is up to date). Every request ends in one outcome, counted in",
    "`aaa_datagrams_total{listener,outcome,reason,class,client}`; the reason strings are stable.",
    "A reason ending in `:*` is a family: the prefix followed by an error code, e.g.",
    "`store:STORE_TIMEOUT`.",
  ];
  for (const [counter, title, intro] of SECTIONS) {
    out.push("", `## ${title}`, "", intro, "", "| Reason | Meaning |", "| --- | --- |");
    for (const r of rows.filter((x) => x.counted[0] === counter)) {
      const also = r.counted.slice(1);
      out.push(`| \`${r.reason}\` | ${r.meaning}${also.length > 0 ? ` Also counted as: ${also.join(", ")}.` : ""} |`);
    }
  }
  return out.join("\n") + "\n";
}
