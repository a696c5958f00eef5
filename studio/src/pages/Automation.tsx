// Automation: scripts (hooks) with a code editor and test runs (workflows
// are in Workflows.tsx). Both degrade to a clear message on servers without them.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { parseDeclarations } from "../dts";
import type { ScriptEditor } from "../editor";
import { listObjects } from "../meta";
import { base, navigate } from "../router";
import { Empty, ErrorBox, isMissingEndpoint, Spinner, toast, Unavailable, useAsync } from "../ui";

interface Script {
  name: string;
  object: string;
  events: string[];
  source: string;
  active: boolean;
  order: number;
  version?: number;
}

const events = ["beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete", "onWorkflow"];

export function Scripts() {
  const { data, error, loading } = useAsync(() => api.get<{ items: Script[] }>("/scripts").then((r) => r.items ?? []), []);
  const [name, setName] = useState("");
  if (isMissingEndpoint(error)) return <Unavailable what="Scripts" />;
  return (
    <section>
      <div class="page-head">
        <h1>Scripts</h1>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) navigate(`/automation/scripts/${encodeURIComponent(name.trim())}`);
          }}
        >
          <label for="sname" class="sr">
            New script name
          </label>
          <input id="sname" placeholder="new script name" pattern="[a-z][a-zA-Z0-9_-]*" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary">
            New script
          </button>
        </form>
      </div>
      {loading && <Spinner />}
      <ErrorBox error={error} />
      {data && data.length === 0 && (
        <Empty title="No scripts yet">
          <p>A script runs JavaScript when a record is created, changed or deleted — for example to reject a record with a message. Name one above to write it.</p>
        </Empty>
      )}
      {data && data.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Object</th>
              <th scope="col">Events</th>
              <th scope="col">Active</th>
            </tr>
          </thead>
          <tbody>
            {data.map((s) => (
              <tr>
                <td>
                  <a href={`${base}/automation/scripts/${s.name}`}>{s.name}</a>
                </td>
                <td>{s.object}</td>
                <td>{s.events.join(", ")}</td>
                <td>{s.active ? "Yes" : "No"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const starter = `function beforeCreate(ctx) {
  // ctx.record is the record being saved; ctx.error(field, message) rejects it.
  if (!ctx.record.name) {
    ctx.error("name", "A name is required");
  }
}
`;

export function ScriptEdit(props: { name: string }) {
  const [script, setScript] = useState<Script | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const objects = useAsync(listObjects, []);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<ScriptEditor | null>(null);
  const [saveError, setSaveError] = useState<{ message: string; line?: number } | null>(null);
  const [testEvent, setTestEvent] = useState("beforeCreate");
  const [testRecord, setTestRecord] = useState('{\n  "name": "Test"\n}');
  const [result, setResult] = useState<any>(null);
  const [testError, setTestError] = useState<unknown>(null);

  useEffect(() => {
    api.get<Script>(`/scripts/${encodeURIComponent(props.name)}`).then(setScript, (e) => {
      // 404: a new script (or a server without scripts, which saving reports).
      if (e instanceof ApiError && e.status === 404) setScript({ name: props.name, object: "", events: ["beforeCreate"], source: starter, active: true, order: 10 });
      else setLoadError(e);
    });
  }, [props.name]);

  // The editor (CodeMirror) and the declarations load only on this page.
  useEffect(() => {
    if (!script || !host.current || editor.current) return;
    let gone = false;
    Promise.all([import("../editor"), api.get<string>("/scripts/types.d.ts").catch(() => "")]).then(([m, dts]) => {
      if (gone || !host.current) return;
      host.current.textContent = "";
      editor.current = m.mountEditor(host.current, script.source, parseDeclarations(typeof dts === "string" ? dts : ""), (src) => setScript((s) => (s ? { ...s, source: src } : s)));
    });
    return () => {
      gone = true;
    };
  }, [script !== null]);
  useEffect(() => () => editor.current?.destroy(), []);

  if (loadError) return <ErrorBox error={loadError} />;
  if (!script) return <Spinner label="Loading the script…" />;

  async function save() {
    setSaveError(null);
    editor.current?.setError(null);
    try {
      const { version: _v, ...body } = script as any;
      delete body.name;
      delete body.updatedAt;
      delete body.updatedBy;
      await api.put(`/scripts/${encodeURIComponent(props.name)}`, body);
      toast("Script saved");
    } catch (e) {
      if (isMissingEndpoint(e)) return setSaveError({ message: "This server has no scripts API yet; the script was not saved." });
      if (e instanceof ApiError) {
        const line = (e as any).line ?? (e.errors.find((x: any) => x.line) as any)?.line;
        const detailLine = /line (\d+)/.exec(e.detail)?.[1];
        const l = Number(line ?? detailLine) || undefined;
        setSaveError({ message: e.errors.length ? e.errors.map((x) => `${x.field ? x.field + ": " : ""}${x.message}`).join("; ") : e.detail, line: l });
        if (l) editor.current?.setError(l);
      } else setSaveError({ message: String(e) });
    }
  }

  async function test() {
    setTestError(null);
    setResult(null);
    editor.current?.setError(null);
    let record: any;
    try {
      record = JSON.parse(testRecord);
    } catch {
      setTestError(new Error("The sample record is not valid JSON."));
      return;
    }
    try {
      await save();
      const r = await api.post(`/scripts/${encodeURIComponent(props.name)}/test`, { event: testEvent, record });
      setResult(r);
      if (r.error?.line) editor.current?.setError(r.error.line);
    } catch (e) {
      setTestError(e);
    }
  }

  const upd = (p: Partial<Script>) => setScript({ ...script, ...p });
  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/automation/scripts`}>Scripts</a> / {props.name}
      </p>
      <div class="page-head">
        <h1>Script {props.name}</h1>
        <button type="button" class="primary" onClick={save}>
          Save script
        </button>
      </div>
      <div class="card cols2">
        <div class="field">
          <label for="sobj">Object</label>
          <select id="sobj" value={script.object} onChange={(e) => upd({ object: (e.target as HTMLSelectElement).value })}>
            <option value="">Choose…</option>
            {objects.data?.map((o) => (
              <option value={o.apiName}>{o.label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sorder">Order</label>
          <input id="sorder" type="number" value={script.order} onInput={(e) => upd({ order: Number((e.target as HTMLInputElement).value) })} />
        </div>
        <fieldset class="field">
          <legend>Events</legend>
          <div class="row">
            {events.map((ev) => (
              <label class="row">
                <input type="checkbox" checked={script.events.includes(ev)} onChange={(e) => upd({ events: (e.target as HTMLInputElement).checked ? [...script.events, ev] : script.events.filter((x) => x !== ev) })} /> {ev}
              </label>
            ))}
          </div>
        </fieldset>
        <label class="row">
          <input type="checkbox" checked={script.active} onChange={(e) => upd({ active: (e.target as HTMLInputElement).checked })} /> Active
        </label>
      </div>
      <h2 class="section">Source</h2>
      <div class="editor" ref={host}>
        <Spinner label="Loading the editor…" />
      </div>
      {saveError && (
        <p class="error" role="alert">
          {saveError.line ? `Line ${saveError.line}: ` : ""}
          {saveError.message}
        </p>
      )}
      <h2 class="section">Test run</h2>
      <div class="cols2">
        <div class="field">
          <label for="tev">Event</label>
          <select id="tev" value={testEvent} onChange={(e) => setTestEvent((e.target as HTMLSelectElement).value)}>
            {events.map((ev) => (
              <option>{ev}</option>
            ))}
          </select>
          <label for="trec">Sample record (JSON)</label>
          <textarea id="trec" value={testRecord} onInput={(e) => setTestRecord((e.target as HTMLTextAreaElement).value)} />
          <button type="button" onClick={test}>
            Run test
          </button>
        </div>
        <div aria-live="polite">
          <ErrorBox error={testError} />
          {result && (
            <>
              {result.error ? (
                <p class="error" role="alert">
                  {result.error.line ? `Line ${result.error.line}: ` : ""}
                  {result.error.message}
                  {result.error.errors?.map((x: any) => ` — ${x.field ?? "record"}: ${x.message}`)}
                </p>
              ) : (
                <p>The script ran without error. Nothing was saved.</p>
              )}
              <h3>Record after the script</h3>
              <pre class="out">{JSON.stringify(result.record, null, 2)}</pre>
              <h3>Logs</h3>
              <pre class="out">{result.logs?.length ? result.logs.join("\n") : "(no log lines)"}</pre>
              {result.usage && <p class="muted">Ran in {result.usage.durationMs} ms, {result.usage.queries} queries, {result.usage.writes} writes.</p>}
            </>
          )}
        </div>
      </div>
    </section>
  );
}
