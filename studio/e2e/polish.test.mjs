// Browser tests of the studio's assignOwner form in the workflow builder,
// the workflow runs of a record (on its page, and named in a workflow's run
// history), list views sorted by several keys and the migration dialog
// closed while its job runs, against the real server. The steps build on
// one another (one tenant, one "deal" object, two sales people). Screenshots
// go to .ci/screenshots/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { shots, start } from "./harness.mjs";

let env, page, ann, bob;
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });

const deal = {
  title: "Deal",
  "x-crm-plural": "Deals",
  type: "object",
  properties: {
    name: { type: "string", "x-crm-type": "text" },
    amount: { type: "number", "x-crm-type": "currency", minimum: 0 },
    stage: { type: "string", "x-crm-type": "picklist", enum: ["new", "qualified", "won"] },
    region: { type: "string", "x-crm-type": "picklist", enum: ["EMEA", "AMER"] },
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
  const rows = [
    ["Acme renewal", 1500, "new"],
    ["Globex pilot", 300, "new"],
    ["Initech upsell", 800, "qualified"],
    ["Hooli expansion", 800, "new"],
    ["Umbrella audit", 2500, "qualified"],
  ];
  for (const [name, amount, stage] of rows) assert.equal((await env.api("POST", "/records/deal", { name, amount, stage, region: "AMER" })).status, 201);
  for (const [name, email] of [["Ann Archer", "ann@e2e.test"], ["Bob Baker", "bob@e2e.test"]]) {
    const r = await env.api("POST", "/users", { email, password: "sales long password", name, roles: [] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    if (name.startsWith("Ann")) ann = r.body.id;
    else bob = r.body.id;
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

test("assignOwner form: rules, cap and business hours, each 422 error next to its input", async () => {
  await page.goto(`${env.origin}/studio/automation/workflows/new`);
  await page.getByLabel("Workflow label").fill("Assign deals");
  await page.getByLabel("Object").selectOption("deal");
  await page.getByLabel("Run").selectOption("created");
  const action = page.getByRole("group", { name: "Action 1" });
  await action.getByLabel("Action type").selectOption("assignOwner");
  // No raw JSON any more: a form.
  assert.equal(await action.locator("textarea").count(), 0);
  const save = () => page.getByRole("button", { name: "Save workflow" }).click();
  const invalidGroup = (legend) => action.locator("fieldset.field.invalid", { has: page.locator("legend", { hasText: legend }) }).locator(".error");

  // Nothing chosen: the API wants a group or rules, shown at the group.
  await save();
  await invalidGroup("Group (round robin)").filter({ hasText: "needs a group of users or rules" }).waitFor();

  // A rule with a broken condition: the error is at the rule's condition.
  await action.getByRole("button", { name: "Add rule" }).click();
  await action.getByLabel("Condition of rule 1").fill("region =");
  await save();
  const whenErr = action.locator(".field.invalid", { has: page.getByLabel("Condition of rule 1") }).locator(".error");
  await whenErr.waitFor();
  assert.equal(await action.getByLabel("Condition of rule 1").getAttribute("aria-invalid"), "true");
  await shot("41-assign-owner-rule-error");

  // A valid condition but no users in the rule's group.
  await action.getByLabel("Condition of rule 1").fill("region = 'EMEA'");
  await save();
  await invalidGroup("Group of rule 1").filter({ hasText: "a rule needs users" }).waitFor();
  await action.locator("fieldset", { has: page.locator("legend", { hasText: "Group of rule 1" }) }).getByLabel("Ann Archer").check();

  // A cap with a broken filter of open records.
  await action.getByLabel("Cap of open records per user").fill("2");
  await action.getByLabel("Open records are").fill("stage !=");
  await save();
  const openErr = action.locator(".field.invalid", { has: page.getByLabel("Open records are") }).locator(".error");
  await openErr.waitFor();
  await action.getByLabel("Open records are").fill("stage != 'won'");
  const dflt = action.locator("fieldset", { has: page.locator("legend", { hasText: "Default group (when no rule holds)" }) });
  await dflt.getByLabel("Ann Archer").check();
  await dflt.getByLabel("Bob Baker").check();
  await action.getByLabel("Assign only during business hours").check();
  await action.getByText(/Outside Mon, Tue, Wed, Thu, Fri 09:00–17:00 \(UTC\)/).waitFor();
  await save();
  await page.getByText("Workflow Assign deals saved").waitFor();
  await page.getByRole("tab", { name: "Run history" }).waitFor();
  await action.scrollIntoViewIfNeeded();
  await shot("42-assign-owner-form");
  let w = await env.api("GET", "/workflows/assign_deals");
  assert.equal(w.status, 200);
  assert.deepEqual(w.body.definition.actions, [
    { type: "assignOwner", rules: [{ when: "region = 'EMEA'", users: [ann] }], users: [ann, bob], maxOpen: 2, openFilter: "stage != 'won'", businessHours: true },
  ]);

  // The saved action reads back into the form; without business hours the
  // assignment runs at once.
  await page.reload();
  await page.getByRole("group", { name: "Action 1" }).getByLabel("Condition of rule 1").waitFor();
  assert.equal(await page.getByRole("group", { name: "Action 1" }).getByLabel("Cap of open records per user").inputValue(), "2");
  await page.getByRole("group", { name: "Action 1" }).getByLabel("Assign only during business hours").uncheck();
  await save();
  await page.getByText("Workflow Assign deals saved").waitFor();
  w = await env.api("GET", "/workflows/assign_deals");
  assert.equal(w.body.definition.actions[0].businessHours, undefined);
  const emea = await env.api("POST", "/records/deal", { name: "Emea rollout", amount: 900, stage: "new", region: "EMEA" });
  assert.equal(emea.status, 201);
  await waitUntil("the owner assigned by the rule", async () => (await env.api("GET", `/records/deal/${emea.body.id}`)).body.owner === ann);
});

test("workflow runs: a record page lists its runs, the run history names the record and links to it", async () => {
  const r = await env.api("GET", "/records/deal?" + new URLSearchParams({ filter: "name = 'Emea rollout'" }));
  const id = r.body.items[0].id;
  await page.goto(`${env.origin}/studio/o/deal/${id}`);
  await page.getByRole("heading", { name: "Emea rollout", level: 1 }).waitFor();
  const runs = page.getByRole("region", { name: "Workflow runs" });
  await runs.locator('tr[data-run="succeeded"]').first().waitFor({ timeout: 30000 });
  const row = runs.locator("tr[data-run]").first();
  assert.match(await row.textContent(), /assignOwner: done/);
  await row.getByRole("link", { name: "Assign deals" }).waitFor();
  await runs.scrollIntoViewIfNeeded();
  await shot("43-record-workflow-runs");

  // The workflow's history names the record (read with fields=) and links
  // to its page.
  await row.getByRole("link", { name: "Assign deals" }).click();
  await page.getByRole("heading", { name: "Runs of Assign deals" }).waitFor();
  const link = page.locator("tr[data-run]").first().getByRole("link", { name: "Emea rollout" });
  await link.waitFor();
  assert.equal(await link.getAttribute("href"), `/studio/o/deal/${id}`);
  await shot("44-workflow-runs-with-names");
  await link.click();
  await page.getByRole("heading", { name: "Emea rollout", level: 1 }).waitFor();

  // A record with no run says so.
  const other = await env.api("GET", "/records/deal?" + new URLSearchParams({ filter: "name = 'Globex pilot'" }));
  await page.goto(`${env.origin}/studio/o/deal/${other.body.items[0].id}`);
  await page.getByText("No workflow has run for this record yet").waitFor();
});

test("list view editor: several sort keys are added, reordered and removed, and the list follows them", async () => {
  await page.goto(`${env.origin}/studio/o/deal/views/new`);
  await page.getByRole("heading", { name: "New list view", level: 1 }).waitFor();
  await page.getByLabel("View label").fill("By stage");
  await page.getByText("Default order: last updated first").waitFor();
  const keys = page.getByRole("list", { name: "Sort keys in order" }).locator("li");
  const add = page.getByRole("button", { name: "Add sort key" });
  await add.click();
  await page.getByLabel("Sort key 1", { exact: true }).selectOption({ label: "Amount" });
  await page.getByLabel("Direction of sort key 1").selectOption("desc");
  await add.click();
  await page.getByLabel("Sort key 2", { exact: true }).selectOption({ label: "Stage" });
  // A field is offered once: Amount is no choice for the second key.
  assert.equal(await page.getByLabel("Sort key 2", { exact: true }).locator("option", { hasText: "Amount" }).count(), 0);
  await add.click();
  await page.getByLabel("Sort key 3", { exact: true }).selectOption({ label: "Name" });
  const preview = page.getByRole("table", { name: "Preview of the first records" });
  const previewNames = async () => (await preview.locator("tbody tr td:first-child").allTextContents()).join(" | ");
  // Amount first, largest first; the two deals of 800 in stage order.
  await waitUntil("the preview sorted by amount, then stage", async () => (await previewNames()) === "Umbrella audit | Acme renewal | Emea rollout | Hooli expansion | Initech upsell");
  await page.getByRole("button", { name: "Remove sort key 3" }).click();
  await page.getByRole("button", { name: "Move sort key 2 up" }).click();
  assert.deepEqual(await keys.evaluateAll((ls) => ls.map((l) => l.dataset.sortKey)), ["stage", "amount"]);
  assert.equal(await page.getByLabel("Direction of sort key 2").inputValue(), "desc", "a key keeps its direction when it moves");
  await waitUntil("the preview sorted by stage, then amount", async () => (await previewNames()) === "Acme renewal | Emea rollout | Hooli expansion | Globex pilot | Umbrella audit");
  // Up to the API's four keys.
  await add.click();
  await add.click();
  assert.equal(await keys.count(), 4);
  assert.ok(await add.isDisabled(), "no fifth key");
  await shot("45-list-view-sort-keys");
  await page.getByRole("button", { name: "Remove sort key 4" }).click();
  await page.getByRole("button", { name: "Remove sort key 3" }).click();
  await page.getByRole("button", { name: "Save view" }).click();
  await page.getByText("List view By stage saved").waitFor();
  const v = await env.api("GET", "/objects/deal/listviews/by_stage");
  assert.equal(v.status, 200);
  assert.deepEqual(v.body.definition.sort, [{ field: "stage" }, { field: "amount", desc: true }]);

  // The records list follows the view's keys.
  await waitUntil("the saved view chosen", async () => (await page.getByLabel("List view").inputValue()) === "by_stage");
  await waitUntil("the list in the view's order", async () => {
    const names = await page.locator("tbody tr").evaluateAll((rs) => rs.map((r) => r.querySelector("a")?.textContent));
    return names.join(" | ") === "Acme renewal | Emea rollout | Hooli expansion | Globex pilot | Umbrella audit | Initech upsell";
  });
  // Editing it again shows the keys in order.
  await page.goto(`${env.origin}/studio/o/deal/views/by_stage`);
  await page.getByLabel("Sort key 2", { exact: true }).waitFor();
  assert.equal(await page.getByLabel("Sort key 1", { exact: true }).inputValue(), "stage");
  assert.equal(await page.getByLabel("Sort key 2", { exact: true }).inputValue(), "amount");
  assert.equal(await page.getByLabel("Direction of sort key 2").inputValue(), "desc");
});

test("migration dialog: closed while the job runs, followed from the header, reopened until seen", async () => {
  const ticket = { title: "Ticket", type: "object", properties: { subject: { type: "string", "x-crm-type": "text" }, code: { type: "string", "x-crm-type": "text" } } };
  assert.equal((await env.api("PUT", "/objects/ticket", ticket)).status, 201);
  // More records than a change converts inline (1,000 by default).
  for (const [from, n] of [[0, 1000], [1000, 100]]) {
    const records = Array.from({ length: n }, (_, i) => ({ subject: `Ticket ${from + i}`, code: String(from + i) }));
    assert.equal((await env.api("POST", "/records/ticket/bulk", { operation: "create", records })).status, 200);
  }
  // The studio's polls of the migration are held until the test lets them
  // through, so the browser sees the job as running for as long as needed,
  // whatever the server's speed; the server's job is not held.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/api/v1/migrations/**", async (route) => {
    await held;
    await route.continue();
  });
  await page.goto(`${env.origin}/studio/objects/ticket`);
  await page.getByRole("button", { name: "Edit Code" }).click();
  await page.getByLabel("Field type").selectOption({ label: "Number" });
  await page.getByRole("button", { name: "Save field" }).click();
  const dialog = page.getByRole("dialog", { name: "Converting records" });
  await dialog.locator('[data-migration="running"]').waitFor();
  await dialog.getByText("the change goes on").waitFor();
  await shot("46-migration-running");

  // Closed while it runs: the header shows the progress.
  await dialog.getByRole("button", { name: "Continue in the background" }).click();
  await dialog.waitFor({ state: "detached" });
  const indicator = page.locator("header [data-migration-indicator]");
  await indicator.filter({ hasText: /Converting ticket: \d+ %/ }).waitFor();
  assert.equal(await indicator.getAttribute("data-migration-indicator"), "running");
  await shot("47-migration-indicator");
  await page.setViewportSize({ width: 390, height: 800 });
  assert.ok(await indicator.isVisible(), "the indicator shows at phone width");
  await shot("47b-migration-indicator-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  // It stays while the user works elsewhere in the studio, and the job goes on.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Records" }).click();
  await page.getByRole("heading", { name: "Records", level: 1 }).waitFor();
  assert.equal(await indicator.getAttribute("data-migration-indicator"), "running");
  await waitUntil("the server's migration done", async () => (await env.api("GET", "/objects/ticket")).body.properties.code["x-crm-type"] === "number", 60000);

  // Reopened from the header, closed again with Escape.
  await indicator.click();
  await dialog.locator('[data-migration="running"]').waitFor();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await indicator.waitFor();

  // The polls go through: the indicator says it is done until the result is seen.
  release();
  await page.locator('header [data-migration-indicator="done"]').waitFor({ timeout: 30000 });
  assert.match(await indicator.textContent(), /ticket converted/);
  await indicator.click();
  await dialog.locator('[data-migration="done"]').waitFor();
  await dialog.getByText("1,100 of 1,100").waitFor();
  assert.equal(await dialog.getByRole("progressbar", { name: "Migration progress" }).getAttribute("aria-valuenow"), "100");
  await shot("48-migration-reopened-done");
  await dialog.getByRole("button", { name: "Close", exact: true }).last().click();
  await dialog.waitFor({ state: "detached" });
  await indicator.waitFor({ state: "detached" });
  await page.unroute("**/api/v1/migrations/**");
  const one = await env.api("GET", "/records/ticket?" + new URLSearchParams({ filter: "subject = 'Ticket 42'" }));
  assert.equal(one.body.items[0].code, 42);
});

test("guided tour at phone width: every step fits the screen and visits the new screens", async () => {
  await page.setViewportSize({ width: 390, height: 800 });
  try {
    await page.goto(`${env.origin}/studio/objects`);
    await page.getByRole("heading", { name: "Objects", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Tour", exact: true }).click();
    const tour = page.getByRole("dialog", { name: "Guided tour" });
    await tour.waitFor();
    const visited = [];
    for (;;) {
      const box = await tour.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y >= 0 && box.y + box.height <= 800, `the tour card fits a phone screen: ${JSON.stringify(box)}`);
      const title = await tour.getByRole("heading").textContent();
      visited.push([title, new URL(page.url()).pathname]);
      if (/workflows/i.test(title)) await shot("49-tour-workflows-phone");
      const next = tour.getByRole("button", { name: "Next" });
      if (!(await next.count())) break;
      await next.click();
      await waitUntil("the next step", async () => (await tour.getByRole("heading").textContent()) !== title);
    }
    const paths = Object.fromEntries(visited.map(([t, p]) => [t.replace(/^\d+\. /, ""), p]));
    assert.equal(paths["Save list views"], "/studio/records");
    assert.equal(paths["Automate with workflows"], "/studio/automation/workflows");
    assert.equal(paths["Report on dashboards"], "/studio/reports");
    assert.equal(paths["Restore from the recycle bin"], "/studio/bin");
    await page.getByRole("heading", { name: "Recycle bin", level: 1 }).waitFor();
    await shot("50-tour-last-step-phone");
    await tour.getByRole("button", { name: "Finish" }).click();
    await tour.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => localStorage.getItem("crm.tourDone")), "1");
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});
