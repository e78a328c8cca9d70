// Minimal typings for cluster-key-slot 1.1.1 (ioredis's own slot function; the package ships none).
declare module "cluster-key-slot" {
  /** The Redis Cluster slot (0..16383) of a key, hash tags honoured. */
  function generate(key: string | Buffer): number;
  export default generate;
}
