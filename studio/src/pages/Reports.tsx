// Reports: a chart of the aggregate API (group by a field or a month,
// count or sum) that can be pinned to a dashboard saved on the server
// (Dashboards.tsx).
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { BarChart, FunnelChart, LineChart, type Point } from "../charts";
import { display, fieldsOf, getObject, listObjects, picklistValues, type ObjectDef } from "../meta";
import { Empty, ErrorBox, Spinner, useAsync } from "../ui";
import { DashboardPanel } from "./Dashboards";

/** ReportDef is one chart: what the report builder makes and a dashboard keeps. */
export interface ReportDef {
  title: string;
  object: string;
  groupBy: string; // a field, or "createdAt:month"
  measure: string; // "count" or "sum:field"
  chart: "bar" | "funnel" | "line";
  filter?: string;
}

async function run(def: ReportDef, o: ObjectDef): Promise<Point[]> {
  const [field, by] = def.groupBy.split(":");
  const [op, mfield] = def.measure.split(":");
  const body = {
    filter: def.filter || undefined,
    groupBy: [by ? { field, by } : field],
    measures: [op === "count" ? { op: "count" } : { op, field: mfield }],
  };
  const r = await api.post<{ rows: any[] }>(`/records/${def.object}/aggregate`, body);
  const key = op === "count" ? "count" : `${op}_${mfield}`;
  const f = fieldsOf(o).find((x) => x.name === field);
  let points = r.rows.map((row) => ({ raw: row[field], label: row[field] == null ? "(none)" : by ? String(row[field]) : display(f, row[field]) || String(row[field]), value: Number(row[key]) || 0 }));
  if (f?.type === "picklist") {
    const order = picklistValues(f.def).map((p) => p.value);
    points.sort((a, b) => (order.indexOf(a.raw) + 1 || 999) - (order.indexOf(b.raw) + 1 || 999));
  } else if (by) points.sort((a, b) => a.label.localeCompare(b.label));
  else points.sort((a, b) => b.value - a.value);
  return points.map(({ label, value }) => ({ label, value }));
}

export function Chart(props: { def: ReportDef }) {
  const { def } = props;
  const { data, error, loading } = useAsync(async () => {
    const o = await getObject(def.object);
    return run(def, o);
  }, [JSON.stringify(def)]);
  if (loading) return <Spinner label="Running the report…" />;
  if (error) return <ErrorBox error={error} />;
  if (!data?.length) return <p class="muted">No records to chart yet.</p>;
  const C = def.chart === "funnel" ? FunnelChart : def.chart === "line" ? LineChart : BarChart;
  return <C points={data} title={def.title} />;
}

export function Reports() {
  const objects = useAsync(listObjects, []);
  const [object, setObject] = useState("");
  const [o, setO] = useState<ObjectDef | null>(null);
  const [groupBy, setGroupBy] = useState("");
  const [measure, setMeasure] = useState("count");
  const [chart, setChart] = useState<ReportDef["chart"]>("bar");
  const [filter, setFilter] = useState("");
  useEffect(() => {
    if (!object && objects.data?.length) setObject(objects.data[0].apiName);
  }, [objects.data]);
  useEffect(() => {
    if (!object) return;
    getObject(object).then((d) => {
      setO(d);
      const fs = fieldsOf(d);
      setGroupBy(fs.find((f) => f.type === "picklist")?.name ?? "createdAt:month");
      setMeasure("count");
    });
  }, [object]);
  if (objects.loading) return <Spinner />;
  if (objects.error) return <ErrorBox error={objects.error} />;
  if (!objects.data?.length)
    return (
      <Empty title="Nothing to report on yet">
        <p>Reports chart records. Create an object and some records first.</p>
      </Empty>
    );
  const fs = o ? fieldsOf(o) : [];
  const groupable = fs.filter((f) => ["picklist", "text", "boolean", "lookup", "masterdetail", "email", "number"].includes(f.type));
  const dates = fs.filter((f) => f.type === "date" || f.type === "datetime");
  const numeric = fs.filter((f) => ["number", "currency", "percent"].includes(f.type) && !f.system);
  const [mop, mfield] = measure.split(":");
  const measureText = mop === "count" ? "" : ` (${mop === "sum" ? "sum" : "average"} of ${fs.find((f) => f.name === mfield)?.label ?? mfield})`;
  const groupText = fs.find((f) => f.name === groupBy.split(":")[0])?.label.toLowerCase() ?? groupBy;
  const def: ReportDef | null = o && groupBy ? { title: `${o["x-crm-plural"] ?? o.title} by ${groupText}${groupBy.endsWith(":month") ? " (month)" : ""}${measureText}`, object, groupBy, measure, chart, filter } : null;
  return (
    <section>
      <div class="page-head">
        <h1>Reports</h1>
      </div>
      <div class="card toolbar">
        <div class="field">
          <label for="robj">Object</label>
          <select id="robj" value={object} onChange={(e) => setObject((e.target as HTMLSelectElement).value)}>
            {objects.data.map((x) => (
              <option value={x.apiName}>{x.label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rgrp">Group by</label>
          <select id="rgrp" value={groupBy} onChange={(e) => setGroupBy((e.target as HTMLSelectElement).value)}>
            {groupable.map((f) => (
              <option value={f.name}>{f.label}</option>
            ))}
            {dates.map((f) => (
              <option value={`${f.name}:month`}>{f.label} by month</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rmeas">Measure</label>
          <select id="rmeas" value={measure} onChange={(e) => setMeasure((e.target as HTMLSelectElement).value)}>
            <option value="count">Number of records</option>
            {numeric.map((f) => (
              <option value={`sum:${f.name}`}>Sum of {f.label}</option>
            ))}
            {numeric.map((f) => (
              <option value={`avg:${f.name}`}>Average {f.label}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rchart">Chart</label>
          <select id="rchart" value={chart} onChange={(e) => setChart((e.target as HTMLSelectElement).value as ReportDef["chart"])}>
            <option value="bar">Bar</option>
            <option value="funnel">Funnel</option>
            <option value="line">Line</option>
          </select>
        </div>
        <div class="field grow">
          <label for="rfilter">Filter</label>
          <input id="rfilter" value={filter} placeholder="amount > 0" onChange={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      {def && (
        <div class="section">
          <h2>{def.title}</h2>
          <Chart def={def} />
        </div>
      )}
      <DashboardPanel candidate={def} Chart={Chart} />
    </section>
  );
}
