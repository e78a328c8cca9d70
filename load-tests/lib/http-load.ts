// autocannon against POST /v1/auth with many distinct subscribers (request bodies for up to
// 100 000 users drawn uniformly at random from user000001.., password pw-<username>, built
// before the run and sent in turn).
import autocannon from "autocannon";
import { mulberry32, passwordFor, usernameFor } from "./radius.js";

export interface HttpLoadOptions {
  url: string;
  token: string;
  connections: number;
  pipelining: number;
  duration: number;
  users: number;
  seed: number;
}

export interface HttpLoadResult {
  result: autocannon.Result;
}

/** Request bodies are built before the run (at most this many distinct ones, drawn at random). */
const MAX_BODIES = 100_000;

export function runAutocannon(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const rnd = mulberry32(o.seed);
  // Built before the run, so that the generator spends its CPU on HTTP, not on JSON.
  const bodies = Array.from({ length: Math.min(o.users, MAX_BODIES) }, () => {
    const username = usernameFor(1 + Math.floor(rnd() * o.users));
    return JSON.stringify({ username, password: passwordFor(username) });
  });
  let next = 0;
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    pipelining: o.pipelining,
    duration: o.duration,
    timeout: 10,
    requests: [
      {
        method: "POST",
        path: "/v1/auth",
        headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` },
        setupRequest: (req) => {
          const body = bodies[next]!;
          next = next + 1 === bodies.length ? 0 : next + 1;
          return { ...req, body };
        },
      },
    ],
  });
  // Accept / reject are counted by the server (aaa_datagrams_total{listener="http"}): reading
  // every response body here would cost the generator more CPU than the server's counters do.
  return instance.then((result) => ({ result }));
}
