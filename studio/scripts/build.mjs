// Builds the studio into dist/ (or the folder given as the first argument).
// The build is deterministic: the same sources and lockfile give the same
// bytes, so CI can rebuild and compare with the committed dist/.
import * as esbuild from "esbuild";
import { mkdirSync, rmSync, readdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join, dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, constants } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2] ? resolve(process.argv[2]) : join(root, "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.tsx" },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "assets/[name]-[hash]",
  chunkNames: "assets/chunk-[hash]",
  assetNames: "assets/[name]-[hash]",
  legalComments: "linked",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

// Find the entry's JS and CSS outputs to name them in index.html.
let entryJS = "", entryCSS = "";
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint === "src/main.tsx" && file.endsWith(".js")) entryJS = relative(out, join(root, file));
  if (file.endsWith(".css") && meta.inputs && Object.keys(meta.inputs).some((i) => i.startsWith("src/"))) entryCSS = relative(out, join(root, file));
}
if (!entryJS) throw new Error("build: no entry output found");

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>opencrm studio</title>
<base href="/studio/">
<link rel="icon" href="data:,">
${entryCSS ? `<link rel="stylesheet" href="${entryCSS}">\n` : ""}<script type="module" src="${entryJS}"></script>
</head>
<body>
<div id="app"><p class="boot">Loading the studio…</p></div>
<noscript>The studio needs JavaScript.</noscript>
</body>
</html>
`;
writeFileSync(join(out, "index.html"), html);

// Precompress every text file; the Go handler serves the .gz twin.
function walk(dir) {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
for (const file of walk(out)) {
  if (!/\.(js|css|html|txt)$/.test(file)) continue;
  const raw = readFileSync(file);
  writeFileSync(file + ".gz", gzipSync(raw, { level: constants.Z_BEST_COMPRESSION }));
}
console.log(`studio built into ${out}: ${entryJS}`);
