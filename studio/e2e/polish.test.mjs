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
