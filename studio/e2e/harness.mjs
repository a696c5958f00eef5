// The browser-test harness: builds and starts the real crm server on a free
// loopback port with a fresh data folder, creates a tenant through the
// operator API, and launches Debian's headless Chromium through
// playwright-core. When the server does not serve the studio itself (not
// wired yet), a small local server serves studio/dist at /studio and passes
// /api to the crm server, so the same tests run either way.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname, extname, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const studio = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(studio, "..");
export const shots = join(repo, ".ci", "screenshots");
const chromiumPath = "/usr/bin/chromium";

/** ensureChromium installs Debian's chromium when it is missing. */
export function ensureChromium() {
  if (existsSync(chromiumPath)) return;
  console.log("installing Debian's chromium (apt-get)…");
  execFileSync("apt-get", ["update"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
    s.on("error", rej);
  });
}

async function waitFor(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".txt": "text/plain" };

/** studioProxy serves dist/ at /studio (SPA fallback) and forwards the rest to api. */
function studioProxy(apiPort) {
  const dist = join(studio, "dist");
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith("/studio")) {
      let rel = normalize(url.pathname.slice("/studio".length)).replace(/^[/\\]+/, "");
      if (!rel || !existsSync(join(dist, rel)) || !extname(rel)) rel = extname(rel) && rel.startsWith("assets") ? rel : "index.html";
      const file = join(dist, rel);
      if (!file.startsWith(dist) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "Content-Type": types[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
      return;
    }
    const up = httpRequest({ host: "127.0.0.1", port: apiPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  return new Promise((res) => server.listen(0, "127.0.0.1", () => res(server)));
}

/** start brings up the server, a tenant and a browser. close() undoes it all. */
export async function start() {
  ensureChromium();
  mkdirSync(shots, { recursive: true });
  // The screenshots are for review, never for the repository.
  writeFileSync(join(shots, ".gitignore"), "*\n");
  const tmp = mkdtempSync(join(tmpdir(), "studio-e2e-"));
  // CRM_E2E_BIN runs a server binary built elsewhere (for instance from a
  // clean checkout while the work tree holds unfinished Go code).
  let bin = process.env.CRM_E2E_BIN;
  if (!bin) {
    bin = join(tmp, "crm");
    execFileSync("go", ["build", "-o", bin, "./cmd/crm"], { cwd: repo, stdio: "inherit" });
  }
  const port = await freePort();
  const token = "e2e-bootstrap-" + Math.random().toString(36).slice(2);
  const proc = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data", join(tmp, "data"), "--log-level", "warn"], {
    env: { ...process.env, CRM_BOOTSTRAP_TOKEN: token },
    stdio: ["ignore", "inherit", "inherit"],
  });
  let origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/healthz`);

  const tenant = "e2e";
  const admin = { email: "admin@e2e.test", password: "e2e long password" };
  const r = await fetch(`${origin}/api/v1/platform/tenants`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: tenant, admin }),
  });
  if (r.status !== 201) throw new Error(`creating the tenant: ${r.status} ${await r.text()}`);
  const { apiKey } = await r.json();

  let proxy = null;
  const served = await fetch(`${origin}/studio/`);
  // A binary given by CRM_E2E_BIN embeds its own build of the studio: the
  // harness serves this tree's dist/ instead, so the tests see these sources.
  if (served.status !== 200 || process.env.CRM_E2E_BIN) {
    proxy = await studioProxy(port);
    origin = `http://127.0.0.1:${proxy.address().port}`;
    console.log(`note: the server does not serve /studio yet; the harness serves studio/dist at ${origin}/studio`);
  }

  const profile = join(tmp, "profile");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });

  /** api calls the REST API as the tenant's admin (API key). */
  async function api(method, path, body) {
    const res = await fetch(`${origin}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function close() {
    await context.close().catch(() => {});
    proxy?.close();
    proc.kill("SIGTERM");
    await new Promise((res) => (proc.exitCode !== null ? res() : proc.on("exit", res)));
    rmSync(tmp, { recursive: true, force: true });
  }
  return { origin, tenant, admin, apiKey, context, api, close };
}
