// Handler registration. Each handler is placed at registration, once: `inline` runs on the event
// loop, `worker` runs on the bounded worker-thread pool. Callers invoke both the same way.
import type { Handler, Placement } from "../core/handler.js";
import type { WorkerPool } from "./worker-pool.js";

export type HandlerSpec<I, O> =
  | { name: string; placement: "inline"; run: (input: I, deadline: number) => Promise<O> | O }
  | {
      name: string;
      placement: "worker";
      /** Module URL (import.meta-relative) exporting `exportName`; input and output are structured-cloned. */
      module: URL;
      exportName: string;
    };

export class HandlerRegistry {
  private readonly handlers = new Map<string, Handler<unknown, unknown>>();
  private readonly loading: Promise<void>[] = [];

  constructor(private readonly pool: WorkerPool | null) {}

  register<I, O>(spec: HandlerSpec<I, O>): Handler<I, O> {
    if (this.handlers.has(spec.name)) throw new Error(`handler ${spec.name} is already registered`);
    let handler: Handler<I, O>;
    if (spec.placement === "inline") {
      const run = spec.run;
      handler = { name: spec.name, placement: "inline", invoke: async (input, deadline) => run(input, deadline) };
    } else {
      const pool = this.pool;
      if (!pool) throw new Error(`handler ${spec.name} needs the worker pool, which is not configured`);
      const module = spec.module.href;
      const exportName = spec.exportName;
      const loading = pool.preload(module);
      // ready() reports a failure; until someone awaits it, it must not be an unhandled rejection.
      loading.catch(() => undefined);
      this.loading.push(loading);
      handler = { name: spec.name, placement: "worker", invoke: (input, deadline) => pool.run<O>(module, exportName, input, deadline) };
    }
    this.handlers.set(spec.name, handler as Handler<unknown, unknown>);
    return handler;
  }

  /**
   * Live reload: a new implementation of an inline handler under its existing name. Invocations
   * already made finish on the implementation they started with; callers holding the previous
   * Handler object keep using it until they take the new one.
   */
  replace<I, O>(spec: Extract<HandlerSpec<I, O>, { placement: "inline" }>): Handler<I, O> {
    const prev = this.handlers.get(spec.name);
    if (!prev) throw new Error(`handler ${spec.name} is not registered`);
    if (prev.placement !== "inline") throw new Error(`handler ${spec.name} is placed on ${prev.placement}; only inline handlers can be replaced`);
    this.handlers.delete(spec.name);
    return this.register(spec);
  }

  /** Resolves when every worker-placed handler is loaded in every thread. */
  async ready(): Promise<void> {
    await Promise.all(this.loading);
  }

  get<I, O>(name: string): Handler<I, O> | undefined {
    return this.handlers.get(name) as Handler<I, O> | undefined;
  }

  list(): Array<{ name: string; placement: Placement }> {
    return [...this.handlers.values()].map((h) => ({ name: h.name, placement: h.placement }));
  }
}
