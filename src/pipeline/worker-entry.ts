// Runs inside each pool thread: loads the handler's module once and calls the named export.
import { parentPort } from "node:worker_threads";

type Fn = (input: unknown) => unknown;
const modules = new Map<string, Record<string, unknown>>();

async function load(url: string): Promise<Record<string, unknown>> {
  let mod = modules.get(url);
  if (!mod) {
    mod = (await import(url)) as Record<string, unknown>;
    modules.set(url, mod);
  }
  return mod;
}

parentPort?.on("message", async (msg: { id: number; module: string; exportName?: string; input?: unknown; preload?: true }) => {
  if (msg.preload) {
    // Loaded ahead of the first request so that it does not pay the import inside its budget.
    const ok = await load(msg.module).then(
      () => true,
      () => false,
    );
    parentPort?.postMessage({ id: 0, preloaded: msg.module, ok });
    return;
  }
  try {
    const mod = await load(msg.module);
    const fn = mod[msg.exportName ?? ""];
    if (typeof fn !== "function") throw new Error(`${msg.exportName} is not exported by the handler module`);
    const value = await (fn as Fn)(msg.input);
    parentPort?.postMessage({ id: msg.id, ok: true, value });
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, ok: false, error: (err as Error).message });
  }
});
