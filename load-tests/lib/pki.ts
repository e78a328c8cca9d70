// Certificates for the EAP benchmark, made with the openssl CLI: a CA, a server certificate
// (serverAuth) and one client certificate (clientAuth) whose CN names a seeded subscriber. Both
// servers under test get the same files. RSA 2048 throughout, as most deployments still use.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";

export interface BenchPki {
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** The client certificate's CN. */
  clientName: string;
}

export function makeBenchPki(dir: string, clientName: string): BenchPki {
  const o = (args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  };
  o(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=carrier-aaa benchmark CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  writeFileSync(path.join(dir, "server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.bench\n");
  writeFileSync(path.join(dir, "client.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
  const issue = (name: string, cn: string, ext: string, serial: string): void => {
    o(["genrsa", "-out", `${name}.key`, "2048"]);
    o(["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`]);
    o(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", serial, "-days", "30", "-extfile", ext, "-out", `${name}.pem`]);
  };
  issue("server", "radius.bench", "server.ext", "1001");
  issue("client", clientName, "client.ext", "1002");
  const f = (n: string): string => path.join(dir, n);
  return { caFile: f("ca.pem"), certFile: f("server.pem"), keyFile: f("server.key"), clientCertFile: f("client.pem"), clientKeyFile: f("client.key"), clientName };
}
