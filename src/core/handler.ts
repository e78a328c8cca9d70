// What a stage calls to run a handler, wherever the handler is placed: `inline` runs on the event
// loop, `worker` on the worker-thread pool. Registration lives in pipeline/handlers.ts.

export type Placement = "inline" | "worker";

export interface Handler<I, O> {
  readonly name: string;
  readonly placement: Placement;
  invoke(input: I, deadline: number): Promise<O>;
}
