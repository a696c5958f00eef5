// The object model as the studio sees it: definitions fetched from
// /objects, the catalogue of field types and their settings.
import { api } from "./api";

export interface ObjectSummary {
  apiName: string;
  label: string;
  pluralLabel?: string;
  custom?: boolean;
  version?: number;
}

export type FieldDef = Record<string, any>;

export interface ObjectDef {
  apiName: string;
  title?: string;
  "x-crm-plural"?: string;
  "x-crm-sharing"?: string;
  type?: string;
  properties: Record<string, FieldDef>;
  required?: string[];
  version?: number;
  [k: string]: any;
}

export interface FieldInfo {
  name: string;
  label: string;
  type: string;
  def: FieldDef;
  system: boolean;
  readOnly: boolean;
  required: boolean;
}

export interface FieldType {
  type: string;
  label: string;
  /** settings this type offers in the field editor */
  settings: Array<"maxLength" | "values" | "multiValues" | "target" | "formula" | "result" | "scale" | "min" | "max" | "format" | "rollup" | "integer">;
}

/** fieldTypes lists every field type of objects/schema, in the order the editor offers them. */
export const fieldTypes: FieldType[] = [
  { type: "text", label: "Text", settings: ["maxLength"] },
  { type: "textarea", label: "Long text", settings: ["maxLength"] },
  { type: "richtext", label: "Rich text", settings: [] },
  { type: "email", label: "Email", settings: [] },
  { type: "phone", label: "Phone", settings: [] },
  { type: "url", label: "URL", settings: [] },
  { type: "number", label: "Number", settings: ["integer", "scale", "min", "max"] },
  { type: "currency", label: "Currency", settings: ["scale", "min", "max"] },
  { type: "percent", label: "Percent", settings: ["scale", "min", "max"] },
  { type: "boolean", label: "Checkbox", settings: [] },
  { type: "date", label: "Date", settings: [] },
  { type: "datetime", label: "Date and time", settings: [] },
  { type: "picklist", label: "Picklist", settings: ["values"] },
  { type: "multipicklist", label: "Multi-select picklist", settings: ["multiValues"] },
  { type: "lookup", label: "Lookup", settings: ["target"] },
  { type: "masterdetail", label: "Master-detail", settings: ["target"] },
  { type: "autonumber", label: "Auto-number", settings: ["format"] },
  { type: "geolocation", label: "Geolocation", settings: [] },
  { type: "formula", label: "Formula", settings: ["formula", "result"] },
  { type: "rollup", label: "Roll-up summary", settings: ["rollup", "result"] },
];

export const resultTypes = ["text", "number", "currency", "percent", "boolean", "date", "datetime"];

export function typeLabel(t: string): string {
  return fieldTypes.find((f) => f.type === t)?.label ?? t;
}

/** fieldsOf lists an object's fields in definition order, system ones last. */
export function fieldsOf(o: ObjectDef): FieldInfo[] {
  const req = new Set(o.required ?? []);
  const out: FieldInfo[] = [];
  for (const [name, def] of Object.entries(o.properties ?? {})) {
    if (def["x-crm-deleted"]) continue;
    const type = def["x-crm-type"] ?? def.type ?? "text";
    const system = !!def["x-crm-system"];
    out.push({
      name,
      label: def["x-crm-label"] || humanize(name),
      type,
      def,
      system,
      readOnly: !!def.readOnly || type === "formula" || type === "rollup" || type === "autonumber" || (system && name !== "owner"),
      required: req.has(name) || type === "masterdetail",
    });
  }
  return [...out.filter((f) => !f.system), ...out.filter((f) => f.system)];
}

export function humanize(name: string): string {
  const s = name.replace(/_/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** picklistValues gives the values of a picklist or multi-picklist with labels. */
export function picklistValues(def: FieldDef): Array<{ value: string; label: string; inactive: boolean }> {
  const list: string[] = def.enum ?? def.items?.enum ?? [];
  const meta = def["x-crm-values"] ?? {};
  return list.map((v) => ({ value: v, label: meta[v]?.label ?? v, inactive: !!meta[v]?.inactive }));
}

/** nameField picks the field that names a record in lists and lookups. */
export function nameField(o: ObjectDef): string {
  const fields = fieldsOf(o).filter((f) => !f.system);
  return (
    fields.find((f) => f.name === "name")?.name ??
    fields.find((f) => f.type === "text" || f.type === "autonumber")?.name ??
    "id"
  );
}

const cache = new Map<string, Promise<ObjectDef>>();
/** getObject fetches a definition, sharing one request between callers. */
export function getObject(name: string, fresh = false): Promise<ObjectDef> {
  if (fresh || !cache.has(name)) {
    const p = api.get<ObjectDef>(`/objects/${encodeURIComponent(name)}`);
    cache.set(name, p);
    p.catch(() => cache.delete(name));
  }
  return cache.get(name)!;
}
export function forgetObject(name?: string) {
  if (name) cache.delete(name);
  else cache.clear();
}

export function listObjects(): Promise<ObjectSummary[]> {
  return api.get<{ items: ObjectSummary[] }>("/objects").then((r) => r.items ?? []);
}

/** display renders a stored value for reading. */
export function display(f: FieldInfo | undefined, v: any): string {
  if (v === null || v === undefined || v === "") return "";
  if (!f) return typeof v === "object" ? JSON.stringify(v) : String(v);
  switch (f.type) {
    case "boolean":
      return v ? "Yes" : "No";
    case "picklist":
      return picklistValues(f.def).find((p) => p.value === v)?.label ?? String(v);
    case "multipicklist":
      return (v as string[]).map((x) => picklistValues(f.def).find((p) => p.value === x)?.label ?? x).join(", ");
    case "percent":
      return `${v} %`;
    case "currency":
      return Number(v).toLocaleString(undefined, { minimumFractionDigits: f.def["x-crm-scale"] ?? 2, maximumFractionDigits: f.def["x-crm-scale"] ?? 2 });
    case "datetime":
      return new Date(v).toLocaleString();
    case "geolocation":
      return `${v.lat}, ${v.lng}`;
    case "richtext":
      return String(v).replace(/<[^>]*>/g, "");
    default:
      return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
}
