// A small router: exact path segments and `:name` parameters, one handler per method. Unknown
// paths are 404, known paths with another method 405 with an Allow header.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./io.js";

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The route pattern, e.g. "/v1/subscribers/:username" (metrics label). */
  route: string;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  pattern: string;
  segments: string[];
  methods: Map<string, RouteHandler>;
}

export type Match = { route: string; handler: RouteHandler; params: Record<string, string> } | { route: string; error: HttpError };

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: RouteHandler): this {
    let r = this.routes.find((x) => x.pattern === pattern);
    if (!r) {
      r = { pattern, segments: pattern.split("/").slice(1), methods: new Map() };
      this.routes.push(r);
    }
    r.methods.set(method, handler);
    if (method === "GET") r.methods.set("HEAD", handler);
    return this;
  }

  match(method: string, pathname: string): Match {
    const parts = pathname.split("/").slice(1);
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(":")) {
          if (part === "") ok = false;
          else params[seg.slice(1)] = part;
        } else if (seg !== part) ok = false;
      }
      if (!ok) continue;
      const handler = r.methods.get(method);
      if (!handler) {
        const allow = [...r.methods.keys()].join(", ");
        return { route: r.pattern, error: new HttpError(405, "method_not_allowed", `${method} is not allowed on ${r.pattern}`, undefined, { allow }) };
      }
      return { route: r.pattern, handler, params };
    }
    return { route: "unmatched", error: new HttpError(404, "not_found", "no such endpoint") };
  }
}

/** A percent-decoded path parameter; 400 naming the field when it does not decode. */
export function pathParam(params: Record<string, string>, name: string): string {
  const raw = params[name] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, "invalid_field", `${name}: not a valid percent-encoded path segment`, name);
  }
}
