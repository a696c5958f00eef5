// Dashboards saved on the server (GET /dashboards, PUT|DELETE
// /dashboards/{name}): a user's own dashboards, which they edit, and the
// ones shared with the tenant, which they read. Charts are report
// definitions (see Reports.tsx) that each card runs against the aggregate
// API when shown.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, loadSession } from "../api";
import { Empty, ErrorBox, isMissingEndpoint, Spinner, TextInput, toast, Unavailable } from "../ui";
import type { ReportDef } from "./Reports";

interface Dashboard {
  name: string;
  label: string;
  shared: boolean;
  charts: ReportDef[];
  owner: string;
  version?: number;
}

/** legacyKey is where the studio kept pinned charts before dashboards were saved on the server. */
const legacyKey = () => `crm.dashboard.${loadSession()?.tenant ?? ""}`;
function legacyCharts(): ReportDef[] {
  try {
    const v = JSON.parse(localStorage.getItem(legacyKey()) ?? "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

const slug = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .replace(/_+$/, "")
    .slice(0, 40) || "main";

/**
 * DashboardPanel lists, edits and shows dashboards; candidate is the report
 * on screen that "Pin to dashboard" adds to the chosen dashboard.
 */
export function DashboardPanel(props: { candidate: ReportDef | null; Chart: (p: { def: ReportDef }) => any }) {
  const me = loadSession()?.user?.id ?? "";
  const [list, setList] = useState<Dashboard[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [current, setCurrent] = useState<string>("");
  const [label, setLabel] = useState("");
  const [labelError, setLabelError] = useState<string | undefined>();
  const [legacy, setLegacy] = useState(legacyCharts());
  const [busy, setBusy] = useState(false);

  async function load(select?: string) {
    try {
      const r = await api.get<{ items: Dashboard[] }>("/dashboards");
      const items = (r.items ?? []).map((d) => ({ ...d, charts: d.charts ?? [] }));
      setList(items);
      const pick = select ?? (items.some((d) => key(d) === current) ? current : items.find((d) => d.owner === me) ?? items[0]);
      setCurrent(typeof pick === "string" ? pick : pick ? key(pick) : "");
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    load();
  }, []);
  const key = (d: Dashboard) => `${d.owner}/${d.name}`;
  const dash = list?.find((d) => key(d) === current) ?? null;
  const mine = !dash || dash.owner === me;
  useEffect(() => setLabel(dash?.label ?? "My dashboard"), [current, list]);

  /** save writes the caller's dashboard (a new one when none is chosen). */
  async function save(next: { label: string; charts: ReportDef[]; shared?: boolean }): Promise<boolean> {
    let name = dash && mine ? dash.name : slug(next.label);
    // A new dashboard never overwrites one of the caller's own.
    for (let n = 2; !dash && list?.some((d) => d.owner === me && d.name === name); n++) name = `${slug(next.label).slice(0, 36)}_${n}`;
    setBusy(true);
    setLabelError(undefined);
    setError(null);
    try {
      const saved = await api.put<Dashboard>(`/dashboards/${encodeURIComponent(name)}`, { label: next.label, shared: next.shared ?? dash?.shared ?? false, charts: next.charts });
      await load(key(saved));
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        const fe = e.fieldErrors();
        if (fe.label || fe.name) setLabelError([fe.label, fe.name].filter(Boolean).join("; "));
        else setError(e);
      } else setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  }

  if (isMissingEndpoint(error)) return <Unavailable what="Saved dashboards" />;
  if (!list && !error) return <Spinner label="Loading dashboards…" />;
  const charts = dash?.charts ?? [];
  return (
    <div class="section">
      <div class="page-head">
        <h2>Dashboard</h2>
      </div>
      <ErrorBox error={error} />
      <div class="card toolbar">
        {list && list.length > 0 && (
          <div class="field">
            <label for="dash-pick">Dashboard</label>
            <select id="dash-pick" value={current} onChange={(e) => setCurrent((e.target as HTMLSelectElement).value)}>
              {list.map((d) => (
                <option value={key(d)}>
                  {d.label}
                  {d.owner !== me ? " (shared)" : ""}
                </option>
              ))}
              <option value="">New dashboard…</option>
            </select>
          </div>
        )}
        {mine && (
          <>
            <div class="grow">
              <TextInput label="Dashboard name" value={label} onInput={setLabel} error={labelError} />
            </div>
            {dash && label !== dash.label && (
              <button type="button" disabled={busy} onClick={() => save({ label, charts }).then((ok) => ok && toast("Dashboard renamed"))}>
                Rename
              </button>
            )}
          </>
        )}
        {mine && (
          <button
            type="button"
            class="primary"
            disabled={!props.candidate || busy}
            onClick={async () => {
              if (await save({ label: label.trim() || "My dashboard", charts: [...charts, props.candidate!] })) toast(`Pinned to ${label.trim() || "My dashboard"}`);
            }}
          >
            Pin to dashboard
          </button>
        )}
      </div>
      {legacy.length > 0 && mine && (
        <div class="alert" role="status">
          {legacy.length} chart{legacy.length > 1 ? "s were" : " was"} pinned in this browser before dashboards were saved on the server.{" "}
          <button
            type="button"
            onClick={async () => {
              if (await save({ label: label.trim() || "My dashboard", charts: [...charts, ...legacy] })) {
                localStorage.removeItem(legacyKey());
                setLegacy([]);
                toast("Charts moved to the server");
              }
            }}
          >
            Move them to this dashboard
          </button>
        </div>
      )}
      {!mine && <p class="muted">This dashboard is shared with everyone; only its owner changes it.</p>}
      {charts.length === 0 ? (
        <Empty title={dash ? "This dashboard has no charts yet" : "No dashboard yet"}>
          <p>Build a report above and choose “Pin to dashboard” to keep it here; dashboards are saved on the server and follow you to any browser.</p>
        </Empty>
      ) : (
        <div class="dash" aria-label={`Charts of ${dash?.label}`}>
          {charts.map((d, i) => (
            <div class="card" data-chart={i}>
              <div class="row">
                <strong class="grow">{d.title}</strong>
                {mine && (
                  <button
                    type="button"
                    class="link"
                    aria-label={`Remove ${d.title}`}
                    onClick={() => save({ label: dash!.label, charts: charts.filter((_, j) => j !== i) })}
                  >
                    ✕
                  </button>
                )}
              </div>
              <props.Chart def={d} />
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
