// Test PKI made with the openssl CLI into a temp dir: a CA, a server certificate (serverAuth),
// a client certificate for `alice` (clientAuth), one from another CA, an expired one, one not
// valid yet, and one for `stranger` (no such subscriber in the tests).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  server: Pem;
  alice: Pem;
  /** CN=alice, issued by another CA. */
  otherCa: Pem;
  /** CN=alice, issued by the CA, notAfter in 2021. */
  expired: Pem;
  /** CN=bob, extendedKeyUsage serverAuth only. */
  wrongPurpose: Pem;
  /** CN=alice, issued by the CA, notBefore in 2099. */
  notYetValid: Pem;
  /** CN=stranger, issued by the CA, clientAuth. */
  stranger: Pem;
  /** The other CA itself, for a client that trusts it. */
  otherCaCert: string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "eap-tls-pki-"));
  const o = (args: string[]) => openssl(dir, args);
  const newCa = (name: string, cn: string) => {
    o(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-days", "3650", "-subj", `/CN=${cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  };
  newCa("ca", "carrier-aaa test CA");
  newCa("other-ca", "some other CA");
  o(["genrsa", "-out", "server.key", "2048"]);
  o(["genrsa", "-out", "client.key", "2048"]);
  writeFileSync(join(dir, "server.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.test\n");
  writeFileSync(join(dir, "client.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=email:alice@example.test\n");
  writeFileSync(join(dir, "bob.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
  const issue = (csrKey: string, cn: string, ca: string, ext: string, out: string) => {
    o(["req", "-new", "-key", csrKey, "-subj", `/CN=${cn}`, "-out", `${out}.csr`]);
    o(["x509", "-req", "-in", `${out}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-set_serial", String(Math.floor(Math.random() * 1e9) + 1),
      "-days", "365", "-extfile", ext, "-out", `${out}.pem`]);
  };
  issue("server.key", "radius.test", "ca", "server.ext", "server");
  issue("client.key", "alice", "ca", "client.ext", "alice");
  issue("client.key", "alice", "other-ca", "client.ext", "alice-other");
  issue("client.key", "bob", "ca", "bob.ext", "bob");
  issue("client.key", "stranger", "ca", "client.ext", "stranger");
  // Expired: `openssl ca` sets explicit dates (x509 -req cannot in OpenSSL 3.0).
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "ca.cnf"), [
    "[ca]", "default_ca=test", "[test]", `dir=${dir}`, "database=$dir/index.txt", "new_certs_dir=$dir", "serial=$dir/serial",
    "default_md=sha256", "policy=any", "unique_subject=no", "copy_extensions=none", "[any]", "commonName=supplied",
    "[client_ext]", "basicConstraints=CA:FALSE", "extendedKeyUsage=clientAuth", "",
  ].join("\n"));
  writeFileSync(join(dir, "serial"), "1000\n");
  o(["req", "-new", "-key", "client.key", "-subj", "/CN=alice", "-out", "expired.csr"]);
  o(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr", "-out", "expired.pem",
    "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", "-extensions", "client_ext", "-notext"]);
  o(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr", "-out", "not-yet-valid.pem",
    "-startdate", "20990101000000Z", "-enddate", "21000101000000Z", "-extensions", "client_ext", "-notext"]);
  const r = (f: string) => readFileSync(join(dir, f), "utf8");
  const clientKey = r("client.key");
  return {
    dir,
    ca: r("ca.pem"),
    otherCaCert: r("other-ca.pem"),
    server: { cert: r("server.pem"), key: r("server.key") },
    alice: { cert: r("alice.pem"), key: clientKey },
    otherCa: { cert: r("alice-other.pem"), key: clientKey },
    expired: { cert: r("expired.pem"), key: clientKey },
    wrongPurpose: { cert: r("bob.pem"), key: clientKey },
    notYetValid: { cert: r("not-yet-valid.pem"), key: clientKey },
    stranger: { cert: r("stranger.pem"), key: clientKey },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
