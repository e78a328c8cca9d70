// `npm run outcomes`: writes docs/outcomes.md from the registry of outcome reasons.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderOutcomesDoc } from "./outcomes-doc.js";

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../docs/outcomes.md");
writeFileSync(file, renderOutcomesDoc());
console.log("wrote docs/outcomes.md");
