// CSV import of an object's records: choose a file, map its columns to
// fields, start the import (POST /records/{object}/import answers 202 with a
// job), then follow its progress until it ends and read the per-row errors,
// which can be downloaded as CSV.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { fieldsOf, getObject, type ObjectDef } from "../meta";
import { ProgressBar, statusText, usePoll, type JobState } from "../progress";
import { base } from "../router";
import { ErrorBox, Field, Spinner, useAsync } from "../ui";

/** ImportJob is an import's state and report (GET /imports/{id}). */
interface ImportJob extends JobState {
  id: string;
  object: string;
  rows: number;
  processed: number;
  created: number;
  updated: number;
  failed: number;
  errors: Array<{ row: number; code: string; message: string; errors?: Array<{ field?: string; message: string }> }>;
}

/** csvRow splits the first line of a CSV text (quotes respected) into cells. */
export function csvHeader(text: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") out.push(cell), (cell = "");
    else if (c === "\n" || c === "\r") break;
    else cell += c;
  }
  out.push(cell);
  return out.map((h) => h.replace(/^\ufeff/, "").trim());
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** errorReport renders an import's row errors as CSV (one line per field error). */
export function errorReport(job: ImportJob): string {
  const lines = ["row,code,field,message"];
  for (const e of job.errors ?? []) {
    if (e.errors?.length) for (const f of e.errors) lines.push([e.row, e.code, f.field ?? "", f.message].map(csvCell).join(","));
    else lines.push([e.row, e.code, "", e.message].map(csvCell).join(","));
  }
  return lines.join("\n") + "\n";
}

export function ImportPage(props: { object: string }) {
  const meta = useAsync(() => getObject(props.object), [props.object]);
  if (meta.loading) return <Spinner label="Loading…" />;
  if (meta.error) return <ErrorBox error={meta.error} />;
  return <ImportBody o={meta.data!} />;
}

function ImportBody(props: { o: ObjectDef }) {
  const o = props.o;
  const fields = fieldsOf(o).filter((f) => !f.readOnly || f.name === "owner");
  const [csv, setCsv] = useState("");
  const [fileName, setFileName] = useState("");
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [mode, setMode] = useState("create");
  const [extId, setExtId] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<unknown>(null);
  const [started, setStarted] = useState<ImportJob | null>(null);
  const { job, error: pollError } = usePoll<ImportJob>(started ? `/imports/${encodeURIComponent(started.id)}` : null, started);
  const header = csv.trim() ? csvHeader(csv) : [];

  // A column maps to the field of the same API name or label by default.
  useEffect(() => {
    const next: Record<string, string> = {};
    for (const h of header) {
      const k = h.toLowerCase();
      next[h] = fields.find((f) => f.name.toLowerCase() === k || f.label.toLowerCase() === k)?.name ?? "";
    }
    setMapping(next);
  }, [header.join("\u0000")]);

  async function pick(e: Event) {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    setFileName(f.name);
    setCsv(await f.text());
  }

  async function start(e: Event) {
    e.preventDefault();
    setErrors({});
    setGeneral(null);
    const m: Record<string, string> = {};
    for (const [col, f] of Object.entries(mapping)) if (f) m[col] = f;
    try {
      const j = await api.post<ImportJob>(`/records/${o.apiName}/import`, { csv, mapping: m, mode, externalIdField: mode === "upsert" ? extId : "" });
      setStarted(j);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        const fe = err.fieldErrors();
        setErrors(fe);
        if (!fe.csv && !fe.mapping && !fe.mode && !fe.externalIdField) setGeneral(err);
      } else setGeneral(err);
    }
  }

  const mapped = Object.values(mapping).filter(Boolean).length;
  const current = job ?? started;
  const running = current?.status === "running";
  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/o/${o.apiName}`}>{o["x-crm-plural"] ?? o.title ?? o.apiName}</a> / Import
      </p>
      <div class="page-head">
        <h1>Import {(o["x-crm-plural"] ?? o.title ?? o.apiName).toLowerCase()} from CSV</h1>
      </div>
      {!current && (
        <form onSubmit={start} noValidate>
          <ErrorBox error={general} />
          <div class="card">
            <Field label="CSV file" error={errors.csv} help="A header row, then one record per row. Each row goes through the same checks as a form.">
              {(id, d) => <input id={id} type="file" accept=".csv,text/csv,text/plain" aria-describedby={d} onChange={pick} />}
            </Field>
            <Field label="Or paste CSV text">
              {(id) => <textarea id={id} rows={5} value={csv} placeholder={"name,amount\nAcme,1200"} onInput={(e) => (setCsv((e.target as HTMLTextAreaElement).value), setFileName(""))} />}
            </Field>
            {fileName && <p class="muted">{fileName}: {Math.max(0, csv.trim().split(/\r?\n/).length - 1).toLocaleString()} rows</p>}
          </div>
          {header.length > 0 && (
            <div class="card section">
              <h2>Columns</h2>
              {errors.mapping && (
                <p class="error" role="alert">
                  {errors.mapping}
                </p>
              )}
              <table class="grid">
                <thead>
                  <tr>
                    <th scope="col">CSV column</th>
                    <th scope="col">Field</th>
                  </tr>
                </thead>
                <tbody>
                  {header.map((h) => (
                    <tr>
                      <td>
                        <label for={`map-${h}`}>{h || "(no name)"}</label>
                      </td>
                      <td>
                        <select id={`map-${h}`} aria-label={`Field for column ${h}`} value={mapping[h] ?? ""} onChange={(e) => setMapping({ ...mapping, [h]: (e.target as HTMLSelectElement).value })}>
                          <option value="">Skip this column</option>
                          {fields.map((f) => (
                            <option value={f.name}>{f.label}</option>
                          ))}
                        </select>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div class="row section">
                <Field label="Mode" error={errors.mode}>
                  {(id) => (
                    <select id={id} value={mode} onChange={(e) => setMode((e.target as HTMLSelectElement).value)}>
                      <option value="create">Create a record per row</option>
                      <option value="upsert">Update by an external id, else create</option>
                    </select>
                  )}
                </Field>
                {mode === "upsert" && (
                  <Field label="External id field" error={errors.externalIdField}>
                    {(id) => (
                      <select id={id} value={extId} onChange={(e) => setExtId((e.target as HTMLSelectElement).value)}>
                        <option value="">Choose a unique field…</option>
                        {fields
                          .filter((f) => f.def["x-crm-unique"])
                          .map((f) => (
                            <option value={f.name}>{f.label}</option>
                          ))}
                      </select>
                    )}
                  </Field>
                )}
              </div>
            </div>
          )}
          <div class="row end section">
            <button type="submit" class="primary" disabled={!csv.trim() || mapped === 0}>
              Start import
            </button>
          </div>
          {!csv.trim() && <p class="muted">Choose a CSV file or paste its text to map its columns.</p>}
        </form>
      )}
      {current && (
        <div class="card" aria-live="polite" data-import={current.status}>
          <h2>
            {statusText(current.status)} {running && <span class="spin" aria-hidden="true" />}
          </h2>
          <ProgressBar label="Import progress" value={current.processed} max={current.rows} done={current.status === "done"} />
          <p>
            {current.created.toLocaleString()} created · {current.updated.toLocaleString()} updated · {current.failed.toLocaleString()} failed
          </p>
          {pollError ? <ErrorBox error={pollError} /> : null}
          {!running && (
            <div class="row">
              <a class="button primary" href={`${base}/o/${o.apiName}`}>
                Open the records
              </a>
              <button type="button" onClick={() => (setStarted(null), setCsv(""), setFileName(""))}>
                Import another file
              </button>
              {current.errors?.length > 0 && (
                <a class="button" download={`${o.apiName}-import-errors.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(errorReport(current))}`}>
                  Download error report
                </a>
              )}
            </div>
          )}
          {current.errors?.length > 0 && (
            <div class="section">
              <h3>Rows not imported</h3>
              <table class="grid" aria-label="Rows not imported">
                <thead>
                  <tr>
                    <th scope="col">Row</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {current.errors.slice(0, 200).map((e) => (
                    <tr>
                      <td>{e.row}</td>
                      <td>{e.errors?.length ? e.errors.map((f) => `${f.field ? `${f.field.split("/").pop()}: ` : ""}${f.message}`).join("; ") : e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {current.errors.length > 200 && <p class="muted">The first 200 of {current.errors.length} are shown; the report has them all.</p>}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
