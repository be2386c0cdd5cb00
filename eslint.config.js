// typescript-eslint, strict type-checked, over everything we own.
import js from "@eslint/js";
import tseslint from "typescript-eslint";


// The layer picture of docs/architecture.md, enforced: each folder may import only the folders
// listed for it (plus node and packages). A forbidden arrow fails `make lint`.
const LAYERS = {
  common: [],
  pki: ["common"],
  "tls-files": ["common", "pki"],
  policy: ["common", "pki"],
  store: ["common", "pki"],
  authority: ["common", "pki", "tls-files", "policy", "store"],
  "ca-server": ["common", "pki", "tls-files", "policy", "store", "authority"],
  gateway: ["common", "pki", "tls-files", "policy"],
  host: ["common", "pki", "tls-files", "policy", "gateway"],
  bridge: ["common", "pki", "tls-files"],
};
const layerRules = Object.entries(LAYERS).map(([folder, allowed]) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    "no-restricted-imports": ["error", {
      patterns: Object.keys(LAYERS).concat("cli").filter((f) => f !== folder && !allowed.includes(f))
        .map((f) => ({ group: [`**/${f}/*`, `**/${f}/**`], message: `src/${folder} may not import src/${f} (docs/architecture.md)` })),
    }],
    // Only the CLI prints and exits.
    "no-console": "error",
    "no-restricted-properties": ["error", { object: "process", property: "exit", message: "only src/cli exits" }],
  },
}));

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "ca/", "certs/", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-extraneous-class": "off",
      // With noUncheckedIndexedAccess, `bytes[i]!` is the explicit, reviewed way to say "in range".
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
    },
  },
  {
    files: ["test/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": ["error", { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite"] }] }],
    },
  },
  ...layerRules,
);
