import js from "@eslint/js";
import tseslint from "typescript-eslint";
import layers from "./eslint/layers.mjs";

export default tseslint.config(
  { ignores: ["node_modules/", "bin/", "dist/", ".local/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    plugins: { layers },
    rules: { "layers/imports": "error" },
  },
  {
    // A function fits on a screen and a file holds one idea; tests and the browser page's generated parts aside.
    files: ["**/*.ts", "**/*.mjs", "**/*.js"],
    ignores: ["test/**"],
    rules: {
      "max-lines-per-function": ["error", { max: 120 }],
      "max-lines": ["error", { max: 450 }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // Plain CommonJS entry points (bin shims).
    files: ["**/*.js"],
    ignores: ["viewer/public/**"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The viewer's page script: an ES module run by the browser as it is, without a build step.
    files: ["viewer/public/**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: { document: "readonly", EventSource: "readonly", setTimeout: "readonly" },
    },
  },
);
