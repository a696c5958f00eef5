// Measures what the first load of the studio ships: the entry script named
// by index.html and every chunk it imports statically (dynamic import()s,
// such as the script editor, load later and are listed apart), gzipped.
// Fails when the first load is over the budget (500 KB gzipped JS).
import { readFileSync } from "node:fs";
import { join, dirname, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants } from "node:zlib";

const dist = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const budget = 500 * 1024;
const html = readFileSync(join(dist, "index.html"), "utf8");
const entry = /<script type="module" src="([^"]+)"/.exec(html)?.[1];
if (!entry) throw new Error("index.html names no module script");

const gz = (f) => gzipSync(readFileSync(join(dist, f)), { level: constants.Z_BEST_COMPRESSION }).length;
const staticImports = (src) => [...src.matchAll(/(?:import|export)\s*(?:[\w${},*\s]+from\s*)?["'](\.\/[^"']+\.js)["']/g)].map((m) => m[1]);
const dynamicImports = (src) => [...src.matchAll(/import\(\s*["'](\.\/[^"']+\.js)["']\s*\)/g)].map((m) => m[1]);

const first = new Set();
const lazy = new Set();
const queue = [entry];
while (queue.length) {
  const f = queue.shift();
  if (first.has(f)) continue;
  first.add(f);
  const src = readFileSync(join(dist, f), "utf8");
  for (const i of staticImports(src)) queue.push(posix.join(posix.dirname(f), i));
  for (const i of dynamicImports(src)) lazy.add(posix.join(posix.dirname(f), i));
}
for (const f of first) lazy.delete(f);
let total = 0;
for (const f of first) {
  const n = gz(f);
  total += n;
  console.log(`first load  ${f}  ${(n / 1024).toFixed(1)} KB gz`);
}
for (const f of lazy) console.log(`on demand   ${f}  ${(gz(f) / 1024).toFixed(1)} KB gz`);
console.log(`studio first-load JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${budget / 1024} KB)`);
if (total > budget) {
  console.error("over budget");
  process.exit(1);
}
