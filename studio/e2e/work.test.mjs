// Browser tests of the studio's list view editor, workflow builder, CSV
// import and metadata migration with their progress bars, the server-side recycle bin and dashboards
// saved on the server, against the real server. The steps build on one
// another (one tenant, one "deal" object). Screenshots go to .ci/screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { shots, start } from "./harness.mjs";

let env, page;
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });

const deal = {
  title: "Deal",
  "x-crm-plural": "Deals",
  type: "object",
  properties: {
    name: { type: "string", "x-crm-type": "text" },
    amount: { type: "number", "x-crm-type": "currency", minimum: 0 },
    stage: { type: "string", "x-crm-type": "picklist", enum: ["new", "qualified", "won"] },
    note: { type: "string", "x-crm-type": "text" },
  },
  required: ["name"],
};

/** waitUntil polls f until it returns a truthy value. */
async function waitUntil(what, f, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  env = await start();
  page = env.context.pages()[0] ?? (await env.context.newPage());
  page.setDefaultTimeout(15000);
  assert.equal((await env.api("PUT", "/objects/deal", deal)).status, 201);
  for (const [name, amount, stage] of [["Acme renewal", 1500, "new"], ["Globex pilot", 300, "new"], ["Initech upsell", 800, "qualified"]]) {
    assert.equal((await env.api("POST", "/records/deal", { name, amount, stage })).status, 201);
  }
  await page.goto(`${env.origin}/studio/`);
  await page.evaluate(() => localStorage.setItem("crm.tourDone", "1"));
  await page.getByLabel("Tenant").fill(env.tenant);
  await page.getByLabel("Email").fill(env.admin.email);
  await page.getByLabel("Password").fill(env.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
});
after(async () => {
  await env?.close();
});

test("list view editor: a filter error is shown, a saved view filters the list", async () => {
  await page.goto(`${env.origin}/studio/o/deal`);
  await page.getByRole("link", { name: "Globex pilot" }).waitFor();
  await page.getByRole("link", { name: "New view" }).click();
  await page.getByRole("heading", { name: "New list view", level: 1 }).waitFor();
  await page.getByLabel("View label").fill("Big deals");
  await waitUntil("the API name derived from the label", async () => (await page.getByLabel("View API name").inputValue()) === "big_deals");
  // The syntax help is next to the input, and the API's 400 shows there too.
  await page.locator("#lv-filter-help", { hasText: "IS NULL" }).waitFor();
  await page.getByLabel("Filter").fill("amont >= 800");
  const state = page.locator("#lv-filter-state.error");
  await state.filter({ hasText: "amont" }).waitFor();
  assert.match(await state.textContent(), /position/);
  await shot("30-list-view-filter-error");
  // Saving anyway: the 422 of the list view API lands next to the filter.
  await page.getByRole("button", { name: "Save view" }).click();
  await page.locator(".field.invalid #lv-filter").waitFor();
  await page.getByLabel("Filter").fill("amount >= 800");
  await page.locator("#lv-filter-state", { hasText: "The filter is valid" }).waitFor();
  // Columns (name, amount, stage, note at first): drop Note and Stage, add
  // Stage back at the end, then move it first.
  await page.getByRole("button", { name: "Remove column Note" }).click();
  await page.getByRole("button", { name: "Remove column Stage" }).click();
  await page.getByLabel("Add column").selectOption({ label: "Stage" });
  await page.getByRole("button", { name: "Add", exact: true }).click();
  for (let i = 0; i < 2; i++) await page.getByRole("button", { name: "Move Stage up" }).click();
  await page.getByRole("button", { name: "Add sort key" }).click();
  await page.getByLabel("Sort key 1", { exact: true }).selectOption({ label: "Amount" });
  await page.getByLabel("Direction of sort key 1").selectOption("desc");
  await page.getByRole("table", { name: "Preview of the first records" }).getByText("Acme renewal").waitFor();
  await shot("31-list-view-editor");
  await page.getByRole("button", { name: "Save view" }).click();
  await page.getByText("List view Big deals saved").waitFor();

  const v = await env.api("GET", "/objects/deal/listviews/big_deals");
  assert.equal(v.status, 200);
  assert.equal(v.body.definition.filter, "amount >= 800");
  assert.deepEqual(v.body.definition.columns, ["stage", "name", "amount"]);
  assert.deepEqual(v.body.definition.sort, [{ field: "amount", desc: true }]);

  // The list offers the view, shows its columns and filters by it.
  await page.getByRole("link", { name: "Acme renewal" }).waitFor();
  await waitUntil("the saved view chosen", async () => (await page.getByLabel("List view").inputValue()) === "big_deals");
  await page.getByRole("link", { name: "Globex pilot" }).waitFor({ state: "detached" });
  assert.equal(await page.locator("tbody tr").count(), 2);
  assert.match(await page.locator("tbody tr").first().textContent(), /Acme renewal/, "sorted by amount, largest first");
  assert.match(await page.locator("thead th").first().textContent(), /Stage/);
  await shot("32-list-with-view");
  await page.getByLabel("List view").selectOption("");
  await page.getByRole("link", { name: "Globex pilot" }).waitFor();
});

test("workflow builder: a validation error next to its input, then a run in the history", async () => {
  await page.goto(`${env.origin}/studio/automation/workflows`);
  await page.getByText("No workflows yet").waitFor();
  await page.getByRole("link", { name: "New workflow" }).click();
  await page.getByLabel("Workflow label").fill("Flag big deals");
  await page.getByLabel("Object").selectOption("deal");
  await page.getByLabel("Run").selectOption("created");
  // The condition is checked live by the server's formula compiler.
  await page.getByLabel("Condition").fill("amount >=");
  const condErr = page.locator(".field.invalid", { has: page.getByLabel("Condition") }).locator(".error");
  await condErr.waitFor();
  await page.getByLabel("Condition").fill("amount >= 1000");
  await page.locator(".field", { has: page.getByLabel("Condition") }).getByText("The condition is valid").waitFor();
  // A notify action without a title: the API's 422 shows at the title.
  const action = page.getByRole("group", { name: "Action 1" });
  await action.getByLabel("Action type").selectOption("notify");
  await page.getByRole("button", { name: "Save workflow" }).click();
  const titleErr = action.locator(".field.invalid", { has: page.getByLabel("Notification title") }).locator(".error");
  await titleErr.waitFor();
  await titleErr.scrollIntoViewIfNeeded();
  assert.match(await titleErr.textContent(), /title/);
  await shot("33-workflow-validation-error");
  // Make it an update of the note and save.
  await action.getByLabel("Action type").selectOption("updateFields");
  await action.getByLabel("Field to set").selectOption({ label: "Note" });
  await action.getByRole("button", { name: "Add value" }).click();
  await action.getByLabel("Note", { exact: true }).fill("big: {{record.name}}");
  await page.getByRole("button", { name: "Save workflow" }).click();
  await page.getByText("Workflow Flag big deals saved").waitFor();
  await page.getByRole("tab", { name: "Run history" }).waitFor();
  await shot("34-workflow-builder");
  const w = await env.api("GET", "/workflows/flag_big_deals");
  assert.equal(w.status, 200);
  assert.equal(w.body.definition.condition, "amount >= 1000");
  assert.deepEqual(w.body.definition.actions, [{ type: "updateFields", values: { note: "big: {{record.name}}" } }]);

  // A record change triggers it; the run appears in the history.
  await page.getByRole("tab", { name: "Run history" }).click();
  await page.getByText("No runs yet").waitFor();
  const created = await env.api("POST", "/records/deal", { name: "Umbrella expansion", amount: 5000, stage: "new" });
  assert.equal(created.status, 201);
  const run = page.locator("tr[data-run]");
  await run.first().waitFor({ timeout: 30000 });
  await page.locator('tr[data-run="succeeded"]').first().waitFor({ timeout: 30000 });
  assert.match(await run.first().textContent(), /Succeeded/);
  assert.match(await run.first().textContent(), /updateFields: done/);
  assert.match(await run.first().locator('td[data-label="Duration"]').textContent(), /\d+(\.\d+)? (ms|s)/);
  await shot("35-workflow-runs");
  await page.setViewportSize({ width: 390, height: 800 });
  await shot("35b-workflow-runs-phone");
  await page.getByRole("tab", { name: "Definition" }).click();
  await page.getByLabel("Workflow label").waitFor();
  await shot("35c-workflow-builder-phone");
  await page.setViewportSize({ width: 1280, height: 800 });
  const rec = await env.api("GET", `/records/deal/${created.body.id}`);
  assert.equal(rec.body.note, "big: Umbrella expansion");
});

test("CSV import: the progress bar reaches done and the rows not imported are listed", async () => {
  const rows = ["name,amount,stage"];
  for (let i = 1; i <= 600; i++) rows.push(`Imported ${i},${i === 7 || i === 450 ? -5 : i * 10},new`);
  await page.goto(`${env.origin}/studio/o/deal`);
  await page.getByRole("link", { name: "Import CSV" }).click();
  await page.getByRole("heading", { name: /Import deals/ }).waitFor();
  await page.getByLabel("CSV file").setInputFiles({ name: "deals.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n") + "\n") });
  await page.getByText("deals.csv: 600 rows").waitFor();
  assert.equal(await page.getByLabel("Field for column amount").inputValue(), "amount");
  await shot("36-import-mapping");
  await page.getByRole("button", { name: "Start import" }).click();
  const bar = page.getByRole("progressbar", { name: "Import progress" });
  await bar.waitFor();
  await page.locator('[role=progressbar][data-done="true"]').waitFor({ timeout: 60000 });
  assert.equal(await bar.getAttribute("aria-valuenow"), "100");
  await page.getByText("598 created · 0 updated · 2 failed").waitFor();
  const failed = page.getByRole("table", { name: "Rows not imported" });
  await failed.locator("tbody tr").nth(1).waitFor();
  assert.deepEqual(await failed.locator("tbody tr td:first-child").allTextContents(), ["7", "450"]);
  const report = page.getByRole("link", { name: "Download error report" });
  assert.match(decodeURIComponent(await report.getAttribute("href")), /row,code,field,message\n7,/);
  await shot("37-import-done");
  const count = await env.api("POST", "/records/deal/aggregate", { filter: "name LIKE 'Imported %'", measures: [{ op: "count" }] });
  assert.equal(count.body.rows[0].count, 598);
});

test("a type change over many records runs as a migration with a progress bar", async () => {
  const ticket = { title: "Ticket", type: "object", properties: { subject: { type: "string", "x-crm-type": "text" }, code: { type: "string", "x-crm-type": "text" } } };
  assert.equal((await env.api("PUT", "/objects/ticket", ticket)).status, 201);
  // More records than a change converts inline (1,000 by default).
  for (const [from, n] of [[0, 1000], [1000, 150]]) {
    const records = Array.from({ length: n }, (_, i) => ({ subject: `Ticket ${from + i}`, code: String(from + i) }));
    const r = await env.api("POST", "/records/ticket/bulk", { operation: "create", records });
    assert.equal(r.status, 200);
    assert.ok(r.body.results.every((x) => x.status === 201));
  }
  await page.goto(`${env.origin}/studio/objects/ticket`);
  await page.getByRole("button", { name: "Edit Code" }).click();
  await page.getByLabel("Field type").selectOption({ label: "Number" });
  await page.getByRole("button", { name: "Save field" }).click();
  const dialog = page.getByRole("dialog", { name: "Converting records" });
  await dialog.getByRole("progressbar", { name: "Migration progress" }).waitFor();
  await dialog.locator('[data-migration="done"]').waitFor({ timeout: 60000 });
  assert.equal(await dialog.getByRole("progressbar").getAttribute("aria-valuenow"), "100");
  await dialog.getByText("1,150 of 1,150").waitFor();
  await shot("38-migration-done");
  await dialog.getByRole("button", { name: "Close" }).last().click();
  const def = await env.api("GET", "/objects/ticket");
  assert.equal(def.body.properties.code["x-crm-type"], "number");
  const one = await env.api("GET", "/records/ticket?" + new URLSearchParams({ filter: "subject = 'Ticket 42'" }));
  assert.equal(one.body.items[0].code, 42);
});

test("recycle bin: deleted records are listed from the server, paged, and restored", async () => {
  const list = await env.api("GET", "/records/deal?" + new URLSearchParams({ filter: "name LIKE 'Imported %'", sort: "amount,id", limit: "22" }));
  assert.equal(list.body.items.length, 22);
  for (const r of list.body.items) assert.equal((await env.api("DELETE", `/records/deal/${r.id}`)).status, 204);
  await page.goto(`${env.origin}/studio/bin`);
  await page.getByRole("heading", { name: "Recycle bin", level: 1 }).waitFor();
  assert.equal(await page.getByLabel("Object").inputValue(), "deal");
  await page.locator("tr[data-bin]").nth(19).waitFor();
  assert.equal(await page.locator("tr[data-bin]").count(), 20);
  // Newest first: the last one deleted heads the list.
  const last = list.body.items[21];
  assert.equal(await page.locator("tr[data-bin]").first().getAttribute("data-bin"), last.id);
  await shot("39-recycle-bin");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2").waitFor();
  await waitUntil("the second page", async () => (await page.locator("tr[data-bin]").count()) === 2);
  await page.getByRole("button", { name: "Previous" }).click();
  await page.locator("tr[data-bin]").nth(19).waitFor();
  await page.getByRole("button", { name: `Restore ${last.name}` }).click();
  await page.getByText(`${last.name} restored`).waitFor();
  await page.locator(`tr[data-bin="${last.id}"]`).waitFor({ state: "detached" });
  const back = await env.api("GET", `/records/deal/${last.id}`);
  assert.equal(back.status, 200);
  assert.equal(back.body.name, last.name);
});

test("a dashboard is saved on the server and seen after a reload", async () => {
  await page.goto(`${env.origin}/studio/reports`);
  await page.getByRole("heading", { name: "Reports", level: 1 }).waitFor();
  await page.getByText("No dashboard yet").waitFor();
  await page.getByLabel("Object").selectOption("deal");
  await page.getByLabel("Group by").selectOption("stage");
  await page.getByLabel("Measure").selectOption("sum:amount");
  await page.getByLabel("Dashboard name").fill("Pipeline");
  await page.getByRole("button", { name: "Pin to dashboard" }).click();
  await page.getByText("Pinned to Pipeline").waitFor();
  const saved = await env.api("GET", "/dashboards");
  assert.equal(saved.status, 200);
  // The API key acts as the admin, the same user as the browser session.
  const d = saved.body.items.find((x) => x.name === "pipeline");
  assert.ok(d, "the dashboard is on the server");
  assert.equal(d.label, "Pipeline");
  assert.equal(d.charts.length, 1);
  assert.equal(d.charts[0].groupBy, "stage");
  // Nothing is kept in the browser: a new page load shows it from the server.
  await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("crm.dashboard")).forEach((k) => localStorage.removeItem(k)));
  await page.reload();
  await page.getByLabel("Dashboard", { exact: true }).waitFor();
  assert.match(await page.getByLabel("Dashboard", { exact: true }).locator("option:checked").textContent(), /Pipeline/);
  const card = page.locator("[data-chart]").first();
  await card.getByRole("img", { name: /Deals by stage/ }).waitFor();
  await shot("40-dashboard-after-reload");
});
