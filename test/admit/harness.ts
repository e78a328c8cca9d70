// Hand-driven scheduler for unit tests: a fake clock, jobs that complete when the test says so.
import type { RequestClass } from "../../src/admit/classes.js";
import { schedulerConfig, type SchedulerConfigInput } from "../../src/admit/config.js";
import { Scheduler, type CompletionReport, type Job, type RunInfo, type SchedulerDeps, type ShedReason, type SubmitResult } from "../../src/admit/scheduler.js";
import { FakeClock, SyncDeferred } from "./sim.js";

export interface TestJob {
  id: string;
  run: RunInfo | undefined;
  shed: ShedReason | undefined;
  deferred: SyncDeferred<CompletionReport | void>;
}

export interface JobOptions {
  client?: string;
  /** Arrival time; default now. */
  arrivedAt?: number;
  deadline?: number;
}

export function harness(config: SchedulerConfigInput = {}, deps: Partial<SchedulerDeps> = {}) {
  const clock = new FakeClock();
  const s = new Scheduler(schedulerConfig({ enabled: true, ...config }), { clock: clock.now, ...deps });
  const jobs = new Map<string, TestJob>();
  /** "start:id" and "shed:id:reason" in the order they happened. */
  const log: string[] = [];

  function job(id: string, cls: RequestClass, o: JobOptions = {}): Job {
    const t: TestJob = { id, run: undefined, shed: undefined, deferred: new SyncDeferred() };
    jobs.set(id, t);
    return {
      class: cls,
      client: o.client ?? "nas1",
      arrivedAt: o.arrivedAt ?? clock.t,
      ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
      start(run) {
        t.run = run;
        log.push(`start:${id}`);
        return t.deferred;
      },
      shed(reason) {
        t.shed = reason;
        log.push(`shed:${id}:${reason}`);
      },
    };
  }

  return {
    clock,
    s,
    jobs,
    log,
    submit(id: string, cls: RequestClass, o: JobOptions = {}): SubmitResult {
      return s.submit(job(id, cls, o));
    },
    /** Complete a started job now. */
    finish(id: string, report?: CompletionReport): void {
      const t = jobs.get(id);
      if (!t?.run) throw new Error(`job ${id} was not started`);
      t.deferred.resolve(report);
    },
    /** Ids started so far, in order. */
    started(): string[] {
      return log.filter((l) => l.startsWith("start:")).map((l) => l.slice(6));
    },
    /** Ids of started jobs that have not been finished. */
    running(): string[] {
      return [...jobs.values()].filter((t) => t.run && !t.deferred.isSettled).map((t) => t.id);
    },
    job,
  };
}
