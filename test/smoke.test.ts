import { describe, it, expect } from "@jest/globals";
import { hello } from "../src/cli/main.js";
describe("smoke", () => { it("works", () => { expect(hello()).toBe("hi"); expect(import.meta.url).toContain("smoke"); }); });
