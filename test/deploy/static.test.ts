// Static checks of the deployment files (no Docker engine is needed): Dockerfile, .dockerignore,
// compose.yaml, .env.example, config/compose.yaml and .ci/run.
import { describe, it, expect } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Copy, DockerfileParser, From, Healthcheck, JSONInstruction, type Instruction } from "dockerfile-ast";
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

// ---------------------------------------------------------------- Dockerfile (dockerfile-ast) and .dockerignore (@balena/dockerignore)

interface Stage {
  base: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The instructions before the first FROM, and each stage's instructions after its FROM. */
function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    if (ins instanceof From) stages.push({ base: ins.getImage() ?? "", name: ins.getBuildStage() ?? undefined, instructions: [] });
    else if (stages.length === 0) preamble.push(ins);
    else stages[stages.length - 1]!.instructions.push(ins);
  }
  return { preamble, stages };
}

const argsOf = (ins: Instruction | undefined): string => ins?.getArgumentsContent() ?? "";

/** Arguments of an exec-form (JSON array) instruction, or undefined for the shell form. */
function execForm(ins: Instruction | undefined): string[] | undefined {
  if (!(ins instanceof JSONInstruction) || ins.getOpeningBracket() === null) return undefined;
  return ins.getJSONStrings().map((s) => s.getJSONValue());
}

interface CopySpec {
  from: string | undefined;
  sources: string[];
  dest: string;
}
function copySpec(ins: Copy): CopySpec {
  const words = execForm(ins) ?? ins.getArguments().map((a) => a.getValue());
  if (words.length < 2) throw new Error(`line ${ins.getRange().start.line + 1}: COPY needs a source and a destination`);
  return { from: ins.getFromFlag()?.getValue() ?? undefined, sources: words.slice(0, -1), dest: words[words.length - 1]! };
}

/** Absolute path of `p` in the image, given the stage's WORKDIR. */
function inImage(workdir: string, p: string): string {
  return path.posix.normalize(p.startsWith("/") ? p : path.posix.join(workdir, p)).replace(/\/$/, "") || "/";
}

interface StageFiles {
  workdir: string;
  /** image path -> repo path for every COPY from the build context */
  fromContext: Map<string, string>;
  copies: CopySpec[];
}
function stageFiles(stage: Stage): StageFiles {
  let workdir = "/";
  const fromContext = new Map<string, string>();
  const copies: CopySpec[] = [];
  for (const ins of stage.instructions) {
    if (ins.getKeyword() === "WORKDIR") workdir = inImage(workdir, argsOf(ins));
    if (ins.getKeyword() === "ADD") throw new Error("ADD: use COPY (these checks read COPY only)");
    if (ins instanceof Copy) {
      const c = copySpec(ins);
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

// A CommonJS module whose typings declare an ES default export: required, typed as that export.
const dockerignore = createRequire(import.meta.url)("@balena/dockerignore") as typeof import("@balena/dockerignore").default;
const dockerignored = dockerignore().add(read(".dockerignore"));
/** Whether the build context would leave out `rel` (it or one of its parent directories matched). */
const isDockerignored = (rel: string): boolean => dockerignored.ignores(path.posix.normalize(rel));

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
  const all = (s: Stage, cmd: string): Instruction[] => s.instructions.filter((i) => i.getKeyword() === cmd);
  const last = (s: Stage, cmd: string): Instruction | undefined => all(s, cmd).at(-1);

  it("has only parser directives, comments and ARGs before the first FROM", () => {
    expect(preamble.filter((i) => i.getKeyword() !== "ARG")).toEqual([]);
  });

  it("is multi-stage on node:20-bookworm-slim (a stage may build on an earlier one)", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    stages.forEach((s, i) => {
      const earlier = stages.slice(0, i).map((x) => x.name);
      expect([s.name, s.base === "node:20-bookworm-slim" || earlier.includes(s.base)]).toEqual([s.name, true]);
    });
    expect(stages[0]!.name).toBeDefined();
    // The default target (the last stage) is the runtime image, built from the base image.
    expect(final.name).toBe("runtime");
    expect(final.base).toBe("node:20-bookworm-slim");
  });

  it("checks health with GET /healthz on the port the compose config gives the HTTP side", () => {
    const hc = last(final, "HEALTHCHECK");
    expect(hc).toBeInstanceOf(Healthcheck);
    // HEALTHCHECK [options] CMD ["node", "-e", "..."]: the exec form after the CMD subcommand.
    expect((hc as Healthcheck).getSubcommand()?.getValue()).toBe("CMD");
    const cmd = JSON.parse(argsOf(hc).slice(argsOf(hc).indexOf("CMD") + 3).trim()) as string[] | undefined;
    expect(cmd).toBeDefined();
    expect(cmd!.slice(0, 2)).toEqual(["node", "-e"]);
    const script = cmd![2]!;
    // The inline script compiles.
    expect(() => new Function(script)).not.toThrow();
    const url = new URL(/fetch\('([^']+)'\)/.exec(script)![1]!);
    expect(url.pathname).toBe("/healthz");
    const http = obj(obj(parseYaml(read("config/compose.yaml")), "config")["http"], "http");
    expect(Number(url.port)).toBe(http["port"]);
    expect(url.hostname).toBe("127.0.0.1");
  });

  it("has a loadtest stage with the load generators whose command exists in the build", () => {
    const lt = stages.find((s) => s.name === "loadtest");
    expect(lt).toBeDefined();
    expect(lt!.base).toBe(stages[0]!.name);
    const files = stageFiles(lt!);
    const cmd = execForm(last(lt!, "CMD"));
    const entry = execForm(last(lt!, "ENTRYPOINT"));
    expect(entry).toEqual(["npx", "tsx"]);
    // tsx and autocannon come from the build stage's full `npm ci` (devDependencies included).
    const pkg = JSON.parse(read("package.json")) as { devDependencies: Record<string, string> };
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(["tsx", "autocannon"]));
    expect(all(stages[0]!, "RUN").some((r) => /\bnpm ci\b/.test(argsOf(r)) && !/--omit=dev/.test(argsOf(r)))).toBe(true);
    const script = cmd![0]!;
    const copied = [...files.fromContext.entries()].find(([img]) => inImage(files.workdir, script).startsWith(img + "/"));
    expect(copied).toBeDefined();
    expect(existsSync(repoPath(script))).toBe(true);
    expect(isDockerignored(script)).toBe(false);
    expect(argsOf(all(lt!, "USER").at(-1))).toBe("node");
  });

  it("runs the final stage as a non-root user", () => {
    const user = last(final, "USER");
    expect(user).toBeDefined();
    const name = argsOf(user).split(":")[0]!.trim();
    expect(["", "root", "0"]).not.toContain(name);
  });

  it("exposes 1812/udp (and 1813/udp, 9812/tcp)", () => {
    const ports = all(final, "EXPOSE").flatMap((i) => argsOf(i).split(/\s+/));
    expect(ports).toEqual(expect.arrayContaining(["1812/udp", "1813/udp", "9812/tcp"]));
  });

  it("starts bin/carrier-aaa.js with `serve --config /etc/carrier-aaa/config.yaml`", () => {
    const entry = execForm(last(final, "ENTRYPOINT"));
    const cmd = execForm(last(final, "CMD"));
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
    const runs = all(final, "RUN").map(argsOf);
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
      const builds = all(src!, "RUN").some((r) => /\bnpm run build\b/.test(argsOf(r)) || (/\bnpm ci\b/.test(argsOf(r)) && !/--ignore-scripts/.test(argsOf(r))));
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

describe("compose.yaml: the monitoring stack and the loadtest profile", () => {
  const cfg = obj(parseYaml(read("config/compose.yaml")), "config/compose.yaml");
  const httpPort = obj(cfg["http"], "http")["port"];
  const { stages } = parseDockerfile(read("Dockerfile"));

  function published(svc: Obj): Array<{ host: string | undefined; hostPort: string; container: number; proto: string }> {
    return ((svc["ports"] as Json[] | undefined) ?? []).map((p) => {
      if (typeof p !== "string") throw new Error("use the short port syntax");
      // [host-ip:]host-port:container-port[/proto]; host-ip and host-port may be ${VAR:-default}.
      const m = /^(?:([\d.]+|\$\{[^}]+\}):)?(\$\{[^}]+\}|\d+):(\d+)(?:\/(tcp|udp))?$/.exec(p);
      if (!m) throw new Error(`unexpected port syntax: ${p}`);
      return { host: m[1], hostPort: m[2]!, container: Number(m[3]), proto: m[4] ?? "tcp" };
    });
  }
  /** The address a published port binds when .env sets nothing: the ${VAR:-default}'s default. */
  const hostDefault = (host: string | undefined): string | undefined => (host === undefined ? undefined : (/^\$\{[A-Z_]+:-([^}]*)\}$/.exec(host)?.[1] ?? host));

  it("has redis, carrier-aaa, prometheus, grafana, loadtest only in the loadtest profile, the Sentinel set only in the sentinel profile", () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(["redis", "carrier-aaa", "prometheus", "grafana", "loadtest"]));
    for (const [name, svc] of Object.entries(services)) {
      const profiles = obj(svc, name)["profiles"];
      if (name === "loadtest") expect(profiles).toEqual(["loadtest"]);
      else if (name === "redis-replica" || /^sentinel-\d+$/.test(name)) expect(profiles).toEqual(["sentinel"]);
      else expect([name, profiles]).toEqual([name, undefined]);
    }
  });

  it("gives every long-running service a health check, and starts each after what it needs", () => {
    for (const name of ["redis", "carrier-aaa", "prometheus", "grafana"]) expect(healthcheckTest(obj(services[name], name)["healthcheck"])).toBeTruthy();
    expect(healthcheckTest(aaa["healthcheck"])).toMatch(/\/healthz/);
    const dep = (svc: string, on: string) => obj(obj(obj(services[svc], svc)["depends_on"], "depends_on")[on], on)["condition"];
    expect(dep("grafana", "prometheus")).toBe("service_healthy");
    expect(dep("loadtest", "carrier-aaa")).toBe("service_healthy");
  });

  it("builds carrier-aaa from the runtime stage and loadtest from the loadtest stage of the Dockerfile", () => {
    const names = stages.map((x) => x.name);
    expect(obj(aaa["build"], "build")["target"]).toBe("runtime");
    expect(names.at(-1)).toBe("runtime");
    expect(names).toContain(obj(obj(services["loadtest"], "loadtest")["build"], "build")["target"]);
  });

  it("publishes the container ports the services listen on; every TCP port binds the host loopback", () => {
    const aaaPorts = published(aaa);
    expect(aaaPorts).toContainEqual(expect.objectContaining({ container: 1812, proto: "udp" }));
    expect(aaaPorts).toContainEqual({ host: "127.0.0.1", hostPort: "${HTTP_PORT:-9812}", container: httpPort, proto: "tcp" });
    expect(published(obj(services["prometheus"], "prometheus"))).toEqual([{ host: "127.0.0.1", hostPort: "${PROMETHEUS_PORT:-9090}", container: 9090, proto: "tcp" }]);
    expect(published(obj(services["grafana"], "grafana"))).toEqual([{ host: "127.0.0.1", hostPort: "${GRAFANA_PORT:-3000}", container: 3000, proto: "tcp" }]);
    for (const [name, svc] of Object.entries(services)) {
      for (const p of published(obj(svc, name))) if (p.proto === "tcp") expect([name, p.host]).toEqual([name, "127.0.0.1"]);
    }
    // RADIUS too, unless .env says otherwise (RADIUS_BIND): the default secret stays off the network.
    for (const p of published(aaa).filter((x) => x.proto === "udp")) expect([p.container, hostDefault(p.host)]).toEqual([p.container, "127.0.0.1"]);
    expect(envExample().get("RADIUS_BIND")).toBe("127.0.0.1");
    // Each .env.example default agrees with the compose default.
    const env = envExample();
    for (const text of strings(compose)) {
      for (const m of text.matchAll(/\$\{([A-Z_]+):-([^}]*)\}/g)) expect([m[1], env.get(m[1]!)]).toEqual([m[1], m[2]]);
    }
  });

  it("publishes accounting (1813/udp) to the listener config/compose.yaml configures", () => {
    const acct = obj(obj(cfg["radius"], "radius")["acct"], "radius.acct");
    expect(acct["port"]).toBe(1813);
    expect(acct["host"]).toBe("0.0.0.0");
    expect(published(aaa)).toContainEqual(expect.objectContaining({ container: 1813, proto: "udp" }));
  });

  it("gives the server and the load generator the same RADIUS_SECRET; every client reads it through secretEnv", () => {
    const clients = (cfg["clients"] as Json[]).map((c) => obj(c, "client"));
    for (const c of clients) {
      expect([c["name"], c["secretEnv"], c["secret"]]).toEqual([c["name"], "RADIUS_SECRET", undefined]);
    }
    const serverEnv = obj(aaa["environment"], "environment")["RADIUS_SECRET"];
    const loadEnv = obj(obj(services["loadtest"], "loadtest")["environment"], "environment")["RADIUS_SECRET"];
    expect(serverEnv).toBe("${RADIUS_SECRET:-testing123}");
    expect(loadEnv).toBe(serverEnv);
  });

  it("passes the admin token to the server through the variable config/compose.yaml names, and to the load generator", () => {
    const tokenEnv = obj(cfg["http"], "http")["tokenEnv"] as string;
    expect(Object.keys(obj(aaa["environment"], "environment"))).toContain(tokenEnv);
    expect(Object.keys(obj(obj(services["loadtest"], "loadtest")["environment"], "environment"))).toContain(tokenEnv);
    expect(obj(cfg["http"], "http")["host"]).toBe("0.0.0.0");
  });

  it("lets the drain finish before compose kills the server", () => {
    const grace = /^(\d+)s$/.exec(String(aaa["stop_grace_period"]));
    expect(grace).not.toBeNull();
    // Drain bound: largest class budget (default 50 ms) + 1 s.
    expect(Number(grace![1])).toBeGreaterThanOrEqual(2);
  });

  it("mounts only files and directories that exist in the repository", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of (obj(svc, name)["volumes"] as Json[] | undefined) ?? []) {
        if (typeof v !== "string" || !v.startsWith("./")) continue;
        expect([name, v, existsSync(repoPath(v.split(":")[0]!))]).toEqual([name, v, true]);
      }
    }
  });

  it("Prometheus scrapes carrier-aaa's /metrics on the compose network", () => {
    const prom = obj(parseYaml(read("deploy/prometheus/prometheus.yml")), "prometheus.yml");
    const jobs = (prom["scrape_configs"] as Json[]).map((j) => obj(j, "job"));
    const job = jobs.find((j) => j["job_name"] === "carrier-aaa");
    expect(job).toBeDefined();
    expect(job!["metrics_path"] ?? "/metrics").toBe("/metrics");
    const targets = ((job!["static_configs"] as Json[]).map((c) => obj(c, "static_config")["targets"]) as Json[][]).flat();
    expect(targets).toEqual([`carrier-aaa:${httpPort}`]);
    const mount = ((obj(services["prometheus"], "prometheus")["volumes"] as string[]) ?? []).find((v) => v.startsWith("./deploy/prometheus/prometheus.yml:"));
    const cmd = (obj(services["prometheus"], "prometheus")["command"] as string[]).join(" ");
    expect(cmd).toContain(`--config.file=${mount!.split(":")[1]}`);
  });

  it("Grafana provisioning: the data source points at the prometheus service, the dashboard provider at the mounted dashboards", () => {
    const grafana = obj(services["grafana"], "grafana");
    const mounts = new Map(((grafana["volumes"] as string[]) ?? []).filter((v) => v.startsWith("./")).map((v) => [v.split(":")[0]!, v.split(":")[1]!]));
    expect(mounts.get("./deploy/grafana/provisioning")).toBe("/etc/grafana/provisioning");
    const ds = obj(parseYaml(read("deploy/grafana/provisioning/datasources/prometheus.yml")), "datasources");
    const sources = (ds["datasources"] as Json[]).map((d) => obj(d, "datasource"));
    expect(sources).toHaveLength(1);
    const url = new URL(String(sources[0]!["url"]));
    expect(url.hostname).toBe("prometheus");
    expect(url.port).toBe("9090");
    const prov = obj(parseYaml(read("deploy/grafana/provisioning/dashboards/carrier-aaa.yml")), "dashboards");
    const provider = obj((prov["providers"] as Json[])[0], "provider");
    expect(obj(provider["options"], "options")["path"]).toBe(mounts.get("./deploy/grafana/dashboards"));
    // The home dashboard setting names a file that is mounted.
    const home = String(obj(grafana["environment"], "environment")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]);
    expect(home).toBe(`${mounts.get("./deploy/grafana/dashboards")}/carrier-aaa.json`);
    expect(existsSync(repoPath("deploy/grafana/dashboards/carrier-aaa.json"))).toBe(true);
    // The dashboard uses the provisioned data source.
    const dash = JSON.parse(read("deploy/grafana/dashboards/carrier-aaa.json")) as { panels: Array<{ datasource: { uid: string } }> };
    for (const p of dash.panels) expect(p.datasource.uid).toBe(sources[0]!["uid"]);
  });

  it("the dashboard parses, and every metric it queries is exported by the server", () => {
    const dash = JSON.parse(read("deploy/grafana/dashboards/carrier-aaa.json")) as { uid: string; title: string; panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }> };
    expect(dash.uid).toBe("carrier-aaa");
    expect(new Set(dash.panels.map((p) => p.id)).size).toBe(dash.panels.length);
    const sources = readdirSync(repoPath("src"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => read(path.join("src", f)))
      .join("\n");
    const names = new Set<string>();
    for (const p of dash.panels) {
      expect([p.title, p.targets.length > 0]).toEqual([p.title, true]);
      for (const t of p.targets) for (const m of t.expr.matchAll(/\b((?:aaa|process|nodejs)_[a-z_]+)/g)) names.add(m[1]!.replace(/_(bucket|sum|count)$/, ""));
    }
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) expect([n, sources.includes(`"${n}"`)]).toEqual([n, true]);
  });

  it("the loadtest service gives the load script every setting it reads", () => {
    const script = read("load-tests/stack-load.ts");
    const used = new Set([...script.matchAll(/(?:env|int)\("([A-Z_]+)"/g), ...script.matchAll(/process\.env\["([A-Z_]+)"\]/g)].map((m) => m[1]!));
    const given = Object.keys(obj(obj(services["loadtest"], "loadtest")["environment"], "environment"));
    expect(used.size).toBeGreaterThan(5);
    for (const v of used) expect([v, given.includes(v)]).toEqual([v, true]);
  });
});

describe("compose.yaml: the sentinel profile and config/compose-sentinel.yaml", () => {
  const sentinelNames = Object.keys(services).filter((n) => /^sentinel-\d+$/.test(n));
  const profileOf = (n: string): Json | undefined => obj(services[n], n)["profiles"];

  it("adds a replica of redis and three sentinels, all only in the sentinel profile", () => {
    expect(sentinelNames).toHaveLength(3);
    for (const n of ["redis-replica", ...sentinelNames]) expect(profileOf(n)).toEqual(["sentinel"]);
    const replica = obj(services["redis-replica"], "redis-replica");
    const cmd = (replica["command"] as string[]).join(" ");
    expect(cmd).toMatch(/--replicaof redis 6379\b/);
    expect(cmd).toMatch(/--appendonly yes\b/);
    expect(healthcheckTest(replica["healthcheck"])).toMatch(/redis-cli\b.*\bping\b/);
    // Nothing outside the profile needs it: a plain `docker compose up` is unchanged.
    for (const [name, svc] of Object.entries(services)) {
      if (profileOf(name) !== undefined) continue;
      expect([name, Object.keys(obj(obj(svc, name)["depends_on"] ?? {}, "depends_on")).filter((d) => profileOf(d) !== undefined)]).toEqual([name, []]);
    }
  });

  it("has every sentinel monitor redis:6379 as mymaster with quorum 2, failover settings as documented", () => {
    for (const n of sentinelNames) {
      const svc = obj(services[n], n);
      expect(svc["hostname"]).toBe(n);
      const cmd = (svc["command"] as string[]).join(" ");
      expect(cmd).toContain("sentinel monitor mymaster redis 6379 2");
      expect(cmd).toContain("sentinel resolve-hostnames yes");
      expect(cmd).toContain("sentinel down-after-milliseconds mymaster 1000");
      expect(cmd).toContain("--sentinel");
      // $$ reaches the shell as $ (compose would otherwise interpolate it).
      expect(cmd).toContain("$$(hostname)");
      expect(healthcheckTest(svc["healthcheck"])).toMatch(/redis-cli -p 26379 ping/);
    }
  });

  it("config/compose-sentinel.yaml names exactly those sentinels and their master, and differs from config/compose.yaml only in store", () => {
    const plain = obj(parseYaml(read("config/compose.yaml")), "config/compose.yaml");
    const sen = obj(parseYaml(read("config/compose-sentinel.yaml")), "config/compose-sentinel.yaml");
    const r = obj(obj(sen["store"], "store")["redis"], "store.redis");
    expect((r["sentinels"] as string[]).map((a) => a.split(":")[0]).sort()).toEqual(sentinelNames.sort());
    expect((r["sentinels"] as string[]).every((a) => a.endsWith(":26379"))).toBe(true);
    expect(r["name"]).toBe("mymaster");
    expect(r["url"]).toBeUndefined();
    expect({ ...sen, store: null }).toEqual({ ...plain, store: null });
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

  it("has a client for the health check (127.0.0.1) whose secret is RADIUS_SECRET, defaulting as in .env.example", () => {
    const clients = (cfg["clients"] as Json[]).map((c) => obj(c, "client"));
    const local = clients.find((c) => typeof c["address"] === "string" && cidrContains(c["address"], "127.0.0.1"));
    expect(local).toBeDefined();
    expect(local!["secretEnv"]).toBe("RADIUS_SECRET");
    // the compose default for RADIUS_SECRET agrees with .env.example
    const env = JSON.stringify(aaa["environment"] ?? {});
    const dflt = /\$\{RADIUS_SECRET:-([^}]*)\}/.exec(env)?.[1];
    expect(dflt).toBe(envExample().get("RADIUS_SECRET"));
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
  it("has bin/, config/, deploy/ and package-lock.json", () => {
    expect(readdirSync(repoPath("deploy"))).toEqual(expect.arrayContaining(["prometheus", "grafana"]));
    expect(readdirSync(repoPath("bin"))).toContain("carrier-aaa.js");
    expect(readdirSync(repoPath("config"))).toContain("compose.yaml");
    expect(existsSync(repoPath("package-lock.json"))).toBe(true);
  });
});
