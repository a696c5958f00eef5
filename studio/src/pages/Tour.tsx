// The first-run guided tour: a small, non-blocking card that walks a new
// admin through the main places of the studio. Shown once per browser;
// the "Tour" button in the header starts it again.
import { useEffect, useState } from "preact/hooks";
import { navigate } from "../router";

const steps: Array<{ title: string; text: string; go: string }> = [
  { title: "Welcome to the studio", text: "This short tour shows where things are. You can leave it at any time and start it again with the Tour button at the top.", go: "/objects" },
  { title: "1. Model your data", text: "Objects are your record types (Account, Invoice…). Create one with “New object”, then add fields of any type and arrange them on the page layout.", go: "/objects" },
  { title: "2. Work with records", text: "Records lists every object's records with search, filters and sorting. Open a record to edit it inline, see its history and the workflows it ran, or switch to the board to drag records between stages.", go: "/records" },
  { title: "3. Save list views", text: "On an object's list, “New view” saves the columns, a filter and up to four sort keys under a name; the list offers the view to everyone.", go: "/records" },
  { title: "4. Script", text: "Scripts run JavaScript before or after a save and can reject a record with a message. Try one against a sample record before saving it.", go: "/automation/scripts" },
  { title: "5. Automate with workflows", text: "Workflows react to changes, dates or a schedule without code: update fields, create records, notify people, assign owners in turn. Each run is in the workflow's history and on the record's page.", go: "/automation/workflows" },
  { title: "6. Secure", text: "Users, roles with their permission matrix and API keys for integrations live under Users, Roles and API keys.", go: "/security/users" },
  { title: "7. Report on dashboards", text: "Reports chart your records by any field: bars, funnels and lines by month. Pin a chart to a dashboard, kept on the server, private or shared with the team.", go: "/reports" },
  { title: "8. Restore from the recycle bin", text: "Deleted records wait in the recycle bin, object by object, until you restore them. Long work (imports, metadata changes) shows its progress in the header while you carry on.", go: "/bin" },
];

export function Tour() {
  const [step, setStep] = useState<number | null>(null);
  useEffect(() => {
    const check = () => {
      if (location.search.includes("tour=1") || !localStorage.getItem("crm.tourDone")) setStep((s) => (s === null ? 0 : s));
    };
    check();
    addEventListener("popstate", check);
    return () => removeEventListener("popstate", check);
  }, []);
  if (step === null) return null;
  const s = steps[step];
  const done = () => {
    localStorage.setItem("crm.tourDone", "1");
    setStep(null);
    if (location.search) history.replaceState(null, "", location.pathname);
  };
  return (
    <aside class="tour" role="dialog" aria-label="Guided tour" aria-live="polite">
      <p class="muted">
        Step {step + 1} of {steps.length}
      </p>
      <h2>{s.title}</h2>
      <p>{s.text}</p>
      <div class="row">
        <button type="button" class="link" onClick={done}>
          Skip tour
        </button>
        {step > 0 && (
          <button type="button" onClick={() => { setStep(step - 1); navigate(steps[step - 1].go); }}>
            Back
          </button>
        )}
        {step < steps.length - 1 ? (
          <button type="button" class="primary" onClick={() => { setStep(step + 1); navigate(steps[step + 1].go); }}>
            Next
          </button>
        ) : (
          <button type="button" class="primary" onClick={done}>
            Finish
          </button>
        )}
      </div>
    </aside>
  );
}
