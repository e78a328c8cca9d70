// Static checks of the deployment files (no Docker engine is needed): Dockerfile, .dockerignore,
// compose.yaml, .env.example, config/compose.yaml and .ci/run.
import { describe, it, expect } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const repoPath = (rel: string): string => path.join(ROOT, rel);
const read = (rel: string): string => readFileSync(repoPath(rel), "utf8");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}

// ---------------------------------------------------------------- Dockerfile parsing

interface Instruction {
  cmd: string; // upper case
  args: string; // raw arguments, continuations joined
  line: number;
}
interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = "";
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const trimmed = raw.trim();
    if (buf === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
    if (buf !== "" && trimmed.startsWith("#")) continue; // comment inside a continuation
    if (buf === "") start = i + 1;
    if (trimmed.endsWith("\\")) {
      buf += trimmed.slice(0, -1) + " ";
      continue;
    }
    buf += trimmed;
    const m = /^(\S+)\s*(.*)$/s.exec(buf);
    if (m) instructions.push({ cmd: (m[1] ?? "").toUpperCase(), args: (m[2] ?? "").trim(), line: start });
    buf = "";
  }
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.cmd === "FROM") {
      const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith("--"));
      const asIdx = parts.findIndex((p) => p.toUpperCase() === "AS");
      stages.push({ base: parts[0] ?? "", name: asIdx >= 0 ? parts[asIdx + 1] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      preamble.push(ins);
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { preamble, stages };
}

/** Arguments of an exec-form (JSON array) instruction, or undefined for the shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const v: unknown = JSON.parse(args);
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new Error(`bad exec form: ${args}`);
  return v as string[];
}

interface Copy {
  from: string | undefined;
  sources: string[];
  dest: string;
}
function parseCopy(ins: Instruction): Copy {
  const json = execForm(ins.args);
  const words = json ?? ins.args.split(/\s+/);
  let from: string | undefined;
  const rest: string[] = [];
  for (const w of words) {
    if (json === undefined && w.startsWith("--")) {
      const m = /^--from=(.+)$/.exec(w);
      if (m) from = m[1];
      continue;
    }
    rest.push(w);
  }
  if (rest.length < 2) throw new Error(`line ${ins.line}: COPY needs a source and a destination`);
  return { from, sources: rest.slice(0, -1), dest: rest[rest.length - 1]! };
}

/** Absolute path of `p` in the image, given the stage's WORKDIR. */
function inImage(workdir: string, p: string): string {
  return path.posix.normalize(p.startsWith("/") ? p : path.posix.join(workdir, p)).replace(/\/$/, "") || "/";
}

interface StageFiles {
  workdir: string;
  /** image path -> repo path for every COPY from the build context */
  fromContext: Map<string, string>;
  copies: Copy[];
}
function stageFiles(stage: Stage): StageFiles {
  let workdir = "/";
  const fromContext = new Map<string, string>();
  const copies: Copy[] = [];
  for (const ins of stage.instructions) {
    if (ins.cmd === "WORKDIR") workdir = inImage(workdir, ins.args);
    if (ins.cmd === "COPY" || ins.cmd === "ADD") {
      const c = parseCopy(ins);
      copies.push(c);
      if (c.from === undefined) {
        const destDir = c.dest.endsWith("/") || c.sources.length > 1;
        for (const s of c.sources) {
          const target = destDir ? path.posix.join(inImage(workdir, c.dest), path.posix.basename(s)) : inImage(workdir, c.dest);
          fromContext.set(target, path.posix.normalize(s));
        }
      }
    }
  }
  return { workdir, fromContext, copies };
}

// ---------------------------------------------------------------- .dockerignore matching

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += ".*";
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
function dockerignorePatterns(): { re: RegExp; negate: boolean }[] {
  return read(".dockerignore")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const p = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, "")).replace(/\/$/, "");
      return { re: globToRegExp(p), negate };
    });
}
/** Whether the build context would leave out `rel` (it or one of its parent directories matched). */
function isDockerignored(rel: string): boolean {
  const parts = path.posix.normalize(rel).split("/");
  let ignored = false;
  for (const { re, negate } of dockerignorePatterns()) {
    for (let n = 1; n <= parts.length; n++) {
      if (re.test(parts.slice(0, n).join("/"))) ignored = !negate;
    }
  }
  return ignored;
}

// ---------------------------------------------------------------- compose helpers

const compose = obj(parseYaml(read("compose.yaml")), "compose.yaml");
const services = obj(compose["services"], "services");
const aaa = obj(services["carrier-aaa"], "services.carrier-aaa");
const redis = obj(services["redis"], "services.redis");

function envExample(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of read(".env.example").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars.set(m[1]!, (m[2] ?? "").replace(/^(["'])(.*)\1$/, "$2"));
  }
  return vars;
}

/** Every string (keys included) of a parsed YAML document. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) { out.push(k); strings(x, out); }
  return out;
}
/** Variables compose interpolates in a string (`$$` is an escaped dollar, not a variable). */
function interpolated(s: string): string[] {
  const names: string[] = [];
  const re = /\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const m of s.replace(/\$\$/g, "").matchAll(re)) names.push((m[1] ?? m[2])!);
  return names;
}

function healthcheckTest(v: unknown): string {
  const hc = obj(v, "healthcheck");
  const t = hc["test"];
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return t.join(" ");
  throw new Error("healthcheck has no test");
}

function ipv4ToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 ${ip}`);
  return parts.reduce((a, p) => a * 256 + p, 0);
}
function cidrContains(cidr: string, ip: string): boolean {
  if (cidr.includes(":")) return false;
  const [net, bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4ToInt(net!) / size) === Math.floor(ipv4ToInt(ip) / size);
}

// ---------------------------------------------------------------- tests

describe("Dockerfile", () => {
  const { preamble, stages } = parseDockerfile(read("Dockerfile"));
  const final = stages[stages.length - 1]!;
  const finalFiles = stageFiles(final);
  const all = (s: Stage, cmd: string): Instruction[] => s.instructions.filter((i) => i.cmd === cmd);
  const last = (s: Stage, cmd: string): Instruction | undefined => all(s, cmd).at(-1);

  it("has only parser directives, comments and ARGs before the first FROM", () => {
    expect(preamble.filter((i) => i.cmd !== "ARG")).toEqual([]);
  });

  it("is multi-stage on node:20-bookworm-slim", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.base).toBe("node:20-bookworm-slim");
    expect(stages[0]!.name).toBeDefined();
  });

  it("runs the final stage as a non-root user", () => {
    const user = last(final, "USER");
    expect(user).toBeDefined();
    const name = user!.args.split(":")[0]!.trim();
    expect(["", "root", "0"]).not.toContain(name);
  });

  it("has a HEALTHCHECK in the final stage", () => {
    const hc = last(final, "HEALTHCHECK");
    expect(hc).toBeDefined();
    expect(hc!.args.toUpperCase()).not.toBe("NONE");
    expect(hc!.args).toMatch(/\bCMD\b/);
  });

  it("exposes 1812/udp (and 1813/udp, 9812/tcp)", () => {
    const ports = all(final, "EXPOSE").flatMap((i) => i.args.split(/\s+/));
    expect(ports).toEqual(expect.arrayContaining(["1812/udp", "1813/udp", "9812/tcp"]));
  });

  it("starts bin/carrier-aaa.js with `serve --config /etc/carrier-aaa/config.yaml`", () => {
    const entry = execForm(last(final, "ENTRYPOINT")?.args ?? "");
    const cmd = execForm(last(final, "CMD")?.args ?? "");
    expect(entry).toEqual(["node", "bin/carrier-aaa.js"]);
    expect(cmd).toEqual(["serve", "--config", "/etc/carrier-aaa/config.yaml"]);
    // the script exists in the repository and reaches the final image at WORKDIR/bin
    const script = inImage(finalFiles.workdir, entry![1]!);
    expect(existsSync(repoPath("bin/carrier-aaa.js"))).toBe(true);
    expect(script).toBe(inImage(finalFiles.workdir, "bin/carrier-aaa.js"));
    const binCopied = finalFiles.copies.some((c) => c.from !== undefined && inImage(finalFiles.workdir, c.dest) === path.posix.dirname(script));
    expect(binCopied).toBe(true);
  });

  it("installs only production dependencies, without lifecycle scripts, in the final stage", () => {
    const runs = all(final, "RUN").map((i) => i.args);
    const ci = runs.find((r) => /\bnpm ci\b/.test(r));
    expect(ci).toBeDefined();
    expect(ci).toMatch(/--omit=dev\b/);
    expect(ci).toMatch(/--ignore-scripts\b/);
  });

  it("COPYs from the build context only files that exist and are not .dockerignored", () => {
    const sources = stages.flatMap((s) => stageFiles(s).copies.filter((c) => c.from === undefined).flatMap((c) => c.sources));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json"]));
    for (const s of sources) {
      expect([s, existsSync(repoPath(s))]).toEqual([s, true]);
      expect([s, isDockerignored(s)]).toEqual([s, false]);
    }
  });

  it("COPYs --from=build only what the build stage produced (its context COPYs, or dist/ from `npm run build`)", () => {
    const pkg = JSON.parse(read("package.json")) as { scripts?: Record<string, string> };
    const buildScript = pkg.scripts?.["build"];
    expect(buildScript).toBeDefined();
    const tsconfigName = /-p\s+(\S+)/.exec(buildScript!)?.[1] ?? "tsconfig.json";
    const tsconfig = JSON.parse(read(tsconfigName)) as { compilerOptions?: { outDir?: string } };
    const outDir = tsconfig.compilerOptions?.outDir;
    expect(outDir).toBe("dist");

    const byName = new Map(stages.map((s, i) => [s.name ?? String(i), s]));
    const fromBuild = finalFiles.copies.filter((c) => c.from !== undefined);
    expect(fromBuild.length).toBeGreaterThan(0);
    for (const c of fromBuild) {
      const src = byName.get(c.from!);
      expect([c.from, src !== undefined]).toEqual([c.from, true]);
      const produced = stageFiles(src!);
      // `npm run build`, or `npm ci` with lifecycle scripts (its `prepare` script builds)
      const builds = all(src!, "RUN").some((r) => /\bnpm run build\b/.test(r.args) || (/\bnpm ci\b/.test(r.args) && !/--ignore-scripts/.test(r.args)));
      for (const s of c.sources) {
        const p = inImage(produced.workdir, s);
        const viaContext = produced.fromContext.get(p);
        const viaBuild = builds && p === inImage(produced.workdir, outDir!);
        expect([p, viaContext !== undefined || viaBuild]).toEqual([p, true]);
        if (viaContext !== undefined) expect(existsSync(repoPath(viaContext))).toBe(true);
      }
    }
    // the runtime needs dist/, bin/ and config/
    const copied = fromBuild.flatMap((c) => c.sources.map((s) => path.posix.basename(s)));
    expect(copied).toEqual(expect.arrayContaining(["dist", "bin", "config"]));
  });

  it("the build stage copies the TypeScript sources and configs the build needs", () => {
    const produced = stageFiles(stages[0]!);
    const repoFiles = [...produced.fromContext.values()];
    expect(repoFiles).toEqual(expect.arrayContaining(["tsconfig.json", "tsconfig.build.json", "src"]));
  });
});

describe(".dockerignore", () => {
  it("excludes node_modules, dist and local secrets", () => {
    expect(isDockerignored("node_modules")).toBe(true);
    expect(isDockerignored("node_modules/yaml/package.json")).toBe(true);
    expect(isDockerignored("dist")).toBe(true);
    expect(isDockerignored(".env")).toBe(true);
    expect(isDockerignored(".git")).toBe(true);
  });
});

describe("compose.yaml", () => {
  it("has the redis and carrier-aaa services", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["redis", "carrier-aaa"]));
  });

  it("builds carrier-aaa from the repository root", () => {
    const build = aaa["build"];
    const context = typeof build === "string" ? build : obj(build, "build")["context"];
    expect(context).toBe(".");
    if (isObj(build) && typeof build["dockerfile"] === "string") expect(existsSync(repoPath(build["dockerfile"]))).toBe(true);
  });

  it("starts carrier-aaa after redis is healthy", () => {
    const dep = obj(obj(aaa["depends_on"], "depends_on")["redis"], "depends_on.redis");
    expect(dep["condition"]).toBe("service_healthy");
  });

  it("gives carrier-aaa a health check equivalent to the image's", () => {
    const test = healthcheckTest(aaa["healthcheck"]);
    expect(test).toMatch(/carrier-aaa\.js radtest --server 127\.0\.0\.1:1812 .*--status|\/healthz/);
    // the secret must reach the container's shell, not be interpolated (empty) by compose
    if (test.includes("RADIUS_SECRET")) expect(test).toContain("$$RADIUS_SECRET");
    const env = aaa["environment"];
    const envText = JSON.stringify(env ?? {}) + JSON.stringify(aaa["env_file"] ?? "");
    if (test.includes("RADIUS_SECRET")) expect(envText).toMatch(/RADIUS_SECRET|\.env/);
  });

  it("publishes the RADIUS auth port over UDP", () => {
    const ports = (aaa["ports"] as Json[] | undefined) ?? [];
    const udp1812 = ports.some((p) =>
      typeof p === "string" ? /:1812\/udp$/.test(p) : isObj(p) && p["target"] === 1812 && p["protocol"] === "udp",
    );
    expect(udp1812).toBe(true);
  });

  it("gives redis a health check and append-only persistence on a named volume", () => {
    expect(healthcheckTest(redis["healthcheck"])).toMatch(/redis-cli\b.*\bping\b/);
    const command = redis["command"];
    const cmdText = Array.isArray(command) ? command.join(" ") : String(command ?? "");
    expect(cmdText).toMatch(/--appendonly\s+yes\b/);
    const vols = ((redis["volumes"] as Json[] | undefined) ?? []).map((v) => (typeof v === "string" ? v.split(":")[0] : isObj(v) ? v["source"] : undefined));
    const named = Object.keys(obj(compose["volumes"] ?? {}, "volumes"));
    expect(vols.some((v) => typeof v === "string" && named.includes(v))).toBe(true);
  });

  it("defines every ${VAR} it uses in .env.example", () => {
    const used = new Set(strings(compose).flatMap(interpolated));
    expect(used.size).toBeGreaterThan(0);
    const defined = envExample();
    for (const v of used) expect([v, defined.has(v)]).toEqual([v, true]);
  });

  it("mounts a config that exists in the repository where the image's CMD reads it", () => {
    const vols = ((aaa["volumes"] as Json[] | undefined) ?? []).filter((v): v is string => typeof v === "string");
    const cfg = vols.map((v) => v.split(":")).find((p) => p[1] === "/etc/carrier-aaa/config.yaml");
    expect(cfg).toBeDefined();
    expect(cfg![0]).toBe("./config/compose.yaml");
    expect(statSync(repoPath(cfg![0]!)).isFile()).toBe(true);
    expect(cfg![2]).toBe("ro");
  });
});

describe("config/compose.yaml", () => {
  const cfg = obj(parseYaml(read("config/compose.yaml")), "config/compose.yaml");

  it("listens on the container port compose publishes and uses the redis service", () => {
    const auth = obj(obj(cfg["radius"], "radius")["auth"], "radius.auth");
    expect(auth["port"]).toBe(1812);
    expect(auth["host"]).toBe("0.0.0.0");
    const url = new URL(String(obj(obj(cfg["store"], "store")["redis"], "store.redis")["url"]));
    expect(url.hostname).toBe("redis");
    expect(Object.keys(services)).toContain(url.hostname);
  });

  it("has a client for the health check (127.0.0.1) whose secret is RADIUS_SECRET's default", () => {
    const clients = (cfg["clients"] as Json[]).map((c) => obj(c, "client"));
    const local = clients.find((c) => typeof c["address"] === "string" && cidrContains(c["address"], "127.0.0.1"));
    expect(local).toBeDefined();
    const secret = envExample().get("RADIUS_SECRET");
    expect(local!["secret"]).toBe(secret);
    // the compose default for RADIUS_SECRET agrees too
    const env = JSON.stringify(aaa["environment"] ?? {});
    const dflt = /\$\{RADIUS_SECRET:-([^}]*)\}/.exec(env)?.[1];
    if (dflt !== undefined) expect(dflt).toBe(secret);
  });

  it("covers the Docker bridge networks (172.16.0.0/12) with a client", () => {
    const clients = (cfg["clients"] as Json[]).map((c) => obj(c, "client"));
    expect(clients.some((c) => typeof c["address"] === "string" && cidrContains(c["address"], "172.18.0.1"))).toBe(true);
  });
});

describe(".ci/run", () => {
  const script = read(".ci/run");
  const code = script.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n");

  it("is an executable bash script with strict mode", () => {
    expect(statSync(repoPath(".ci/run")).mode & 0o111).toBe(0o111);
    expect(script.split("\n")[0]).toMatch(/^#!.*\bbash\b/);
    expect(script).toMatch(/^set -euo pipefail$/m);
    execFileSync("bash", ["-n", repoPath(".ci/run")]);
  });

  it("installs redis-server and freeradius-utils only when absent, non-interactively", () => {
    expect(script).toMatch(/command -v redis-server[^\n]*\|\|[^\n]*need\+=\(redis-server\)/);
    expect(script).toMatch(/command -v radclient[^\n]*\|\|[^\n]*need\+=\(freeradius-utils\)/);
    expect(script).toMatch(/apt-get update/);
    expect(script).toMatch(/DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends/);
  });

  it("prints tool versions, runs npm ci and npm test, and assumes no Redis on 6379", () => {
    expect(script).toMatch(/node --version/);
    expect(script).toMatch(/redis-server --version/);
    expect(script).toMatch(/radclient -v/);
    const ci = code.search(/^npm ci\b/m);
    const test = code.search(/^npm test\b/m);
    expect(ci).toBeGreaterThan(-1);
    expect(test).toBeGreaterThan(ci);
    expect(code).not.toMatch(/6379/);
    expect(code).not.toMatch(/REDIS_URL=/);
  });
});

describe("repository layout the image relies on", () => {
  it("has bin/, config/ and package-lock.json", () => {
    expect(readdirSync(repoPath("bin"))).toContain("carrier-aaa.js");
    expect(readdirSync(repoPath("config"))).toContain("compose.yaml");
    expect(existsSync(repoPath("package-lock.json"))).toBe(true);
  });
});
