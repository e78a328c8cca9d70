// A value through the v8 serializer, as child_process IPC with `serialization: "advanced"` sends it.
import v8 from "node:v8";

export function v8Roundtrip<T>(value: T): T {
  return v8.deserialize(v8.serialize(value)) as T;
}
