// A bounded pool of worker threads for handlers placed on `worker` at registration: blocking work
// (password hashing) must not stall the event loop that every other request shares.
// Bounded twice: a fixed number of threads, and a queue that refuses work beyond maxQueue.
// A task whose deadline passed while it waited is not started.
import type { Worker } from "node:worker_threads";
import { startThread } from "../core/worker-thread.js";

export class WorkerPoolError extends Error {
  constructor(
    readonly code: "WORKER_QUEUE_FULL" | "WORKER_DEADLINE" | "WORKER_FAILED" | "WORKER_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "WorkerPoolError";
  }
}

interface Task {
  id: number;
  module: string;
  exportName: string;
  input: unknown;
  deadline: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

export interface WorkerPoolOptions {
  size: number;
  maxQueue: number;
  /** Monotonic clock in ms, the same one that stamps arrivals. */
  now: () => number;
}

function createWorker(): Worker {
  return startThread(import.meta.url, "worker-entry");
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;
  private readonly preloads = new Set<string>();
  stats = { completed: 0, failed: 0, refused: 0, expired: 0 };

  constructor(private readonly opts: WorkerPoolOptions) {
    for (let i = 0; i < opts.size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = createWorker();
    worker.unref();
    const slot: Slot = { worker, task: null };
    worker.on("message", (msg: { id: number; ok: boolean; value?: unknown; error?: string }) => {
      if (msg.id === 0) return; // preload acknowledgements are handled by preloadIn
      const task = slot.task;
      slot.task = null;
      if (task && task.id === msg.id) {
        if (msg.ok) {
          this.stats.completed++;
          task.resolve(msg.value);
        } else {
          this.stats.failed++;
          task.reject(new WorkerPoolError("WORKER_FAILED", msg.error ?? "worker task failed"));
        }
      }
      this.pump();
    });
    worker.on("error", (err) => {
      const task = slot.task;
      slot.task = null;
      if (task) {
        this.stats.failed++;
        task.reject(new WorkerPoolError("WORKER_FAILED", err.message));
      }
    });
    worker.on("exit", () => {
      if (this.closed) return;
      // A worker that died is replaced so that the pool keeps its size.
      const i = this.slots.indexOf(slot);
      if (i >= 0) {
        const fresh = this.spawn();
        this.slots[i] = fresh;
        for (const module of this.preloads) this.preloadIn(fresh, module).catch(() => undefined);
      }
      this.pump();
    });
    return slot;
  }

  /**
   * Has every thread import a handler module now rather than on its first task; resolves when all
   * threads have it (the server binds its sockets after that).
   */
  preload(module: string): Promise<void> {
    this.preloads.add(module);
    return Promise.all(this.slots.map((slot) => this.preloadIn(slot, module))).then(() => undefined);
  }

  private preloadIn(slot: Slot, module: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onMessage = (msg: { preloaded?: string; ok?: boolean }): void => {
        if (msg.preloaded !== module) return;
        slot.worker.off("message", onMessage);
        if (msg.ok) resolve();
        else reject(new WorkerPoolError("WORKER_FAILED", `worker could not load ${module}`));
      };
      slot.worker.on("message", onMessage);
      slot.worker.postMessage({ id: 0, module, preload: true });
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  get busy(): number {
    return this.slots.filter((s) => s.task !== null).length;
  }

  run<O>(module: string, exportName: string, input: unknown, deadline: number): Promise<O> {
    if (this.closed) return Promise.reject(new WorkerPoolError("WORKER_CLOSED", "worker pool is closed"));
    if (this.queue.length >= this.opts.maxQueue) {
      this.stats.refused++;
      return Promise.reject(new WorkerPoolError("WORKER_QUEUE_FULL", "worker queue is full"));
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, module, exportName, input, deadline, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      let task = this.queue.shift();
      while (task && task.deadline <= this.opts.now()) {
        this.stats.expired++;
        task.reject(new WorkerPoolError("WORKER_DEADLINE", "deadline passed before a worker was free"));
        task = this.queue.shift();
      }
      if (!task) return;
      slot.task = task;
      slot.worker.postMessage({ id: task.id, module: task.module, exportName: task.exportName, input: task.input });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new WorkerPoolError("WORKER_CLOSED", "worker pool is closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
