// `npm run schemas`: writes schemas/*.json from the zod schemas.
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jsonSchemas, renderSchema } from "./json-schemas.js";

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../schemas");
mkdirSync(outDir, { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(path.join(outDir, name), renderSchema(schema));
  console.log(`wrote schemas/${name}`);
}
