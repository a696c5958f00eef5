// Rebuilds the studio into a temporary folder and fails when the result
// differs from the committed dist/: the committed build must be what the
// sources produce. Gzipped twins are compared by their content, so a
// different zlib cannot fail the check on its own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tmp = mkdtempSync(join(tmpdir(), "studio-build-"));
try {
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs"), tmp], { cwd: root, stdio: "inherit" });
  const list = (d) => {
    const walk = (x) => readdirSync(x).flatMap((n) => (statSync(join(x, n)).isDirectory() ? walk(join(x, n)) : [join(x, n)]));
    return walk(d).map((f) => relative(d, f)).sort();
  };
  const committed = list(join(root, "dist"));
  const fresh = list(tmp);
  const problems = [];
  for (const f of fresh) if (!committed.includes(f)) problems.push(`missing from dist/: ${f}`);
  for (const f of committed) if (!fresh.includes(f)) problems.push(`stale in dist/: ${f}`);
  for (const f of fresh.filter((x) => committed.includes(x))) {
    let a = readFileSync(join(root, "dist", f));
    let b = readFileSync(join(tmp, f));
    if (f.endsWith(".gz")) (a = gunzipSync(a)), (b = gunzipSync(b));
    if (!a.equals(b)) problems.push(`differs: ${f}`);
  }
  if (problems.length) {
    console.error("studio/dist is not the build of studio/src; run `npm run build` in studio/ and commit dist/:\n  " + problems.join("\n  "));
    process.exit(1);
  }
  console.log(`studio/dist matches a fresh build (${fresh.length} files)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
