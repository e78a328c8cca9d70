/** Jest runs the TypeScript sources as ESM through swc (TypeScript 7 has no JS API for ts-jest). */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
  testTimeout: 30000,
  reporters: ["default", "<rootDir>/test/summary-reporter.js"],
  maxWorkers: 2,
};
