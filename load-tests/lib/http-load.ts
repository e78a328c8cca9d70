// autocannon against POST /v1/auth with many distinct subscribers (each request picks one of the
// generated users uniformly at random: user000001.., password pw-<username>).
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
  /** 200 responses whose result was accept / reject. */
  accepts: number;
  rejects: number;
}

export function runAutocannon(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const rnd = mulberry32(o.seed);
  let accepts = 0;
  let rejects = 0;
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
          const username = usernameFor(1 + Math.floor(rnd() * o.users));
          return { ...req, body: JSON.stringify({ username, password: passwordFor(username) }) };
        },
        onResponse: (status, body) => {
          if (status !== 200) return;
          if (body.includes('"accept"')) accepts++;
          else rejects++;
        },
      },
    ],
  });
  return instance.then((result) => ({ result, accepts, rejects }));
}

