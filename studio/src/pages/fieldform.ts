// Turning a field definition into the editor's state and back.
import type { FieldDef } from "../meta";

export interface FieldState {
  name: string;
  label: string;
  type: string;
  help: string;
  required: boolean;
  unique: boolean;
  indexed: boolean;
  history: boolean;
  maxLength: string;
  values: string; // one value per line; "value | Label" gives a label
  target: string;
  formula: string;
  result: string;
  scale: string;
  min: string;
  max: string;
  integer: boolean;
  format: string;
  rollupObject: string;
  rollupField: string;
  rollupOp: string;
  rollupFilter: string;
}

export function emptyField(): FieldState {
  return {
    name: "", label: "", type: "text", help: "", required: false, unique: false, indexed: false, history: false,
    maxLength: "", values: "", target: "", formula: "", result: "number", scale: "", min: "", max: "", integer: false,
    format: "{0000}", rollupObject: "", rollupField: "", rollupOp: "count", rollupFilter: "",
  };
}

export function stateOf(name: string, def: FieldDef, required: boolean): FieldState {
  const s = emptyField();
  const enumList: string[] = def.enum ?? def.items?.enum ?? [];
  const meta = def["x-crm-values"] ?? {};
  const roll = def["x-crm-rollup"] ?? {};
  return {
    ...s,
    name,
    label: def["x-crm-label"] ?? "",
    type: def["x-crm-type"] ?? "text",
    help: def["x-crm-help"] ?? "",
    required,
    unique: !!def["x-crm-unique"],
    indexed: !!def["x-crm-indexed"],
    history: !!def["x-crm-history"],
    maxLength: def.maxLength != null ? String(def.maxLength) : "",
    values: enumList.map((v) => (meta[v]?.label && meta[v].label !== v ? `${v} | ${meta[v].label}` : v)).join("\n"),
    target: def["x-crm-target"] ?? "",
    formula: def["x-crm-formula"] ?? "",
    result: def["x-crm-result"] ?? "number",
    scale: def["x-crm-scale"] != null ? String(def["x-crm-scale"]) : "",
    min: def.minimum != null ? String(def.minimum) : "",
    max: def.maximum != null ? String(def.maximum) : "",
    integer: def.type === "integer",
    format: def["x-crm-format"] ?? s.format,
    rollupObject: roll.object ?? "",
    rollupField: roll.field ?? "",
    rollupOp: roll.op ?? "count",
    rollupFilter: roll.filter ?? "",
  };
}

const jsonTypes: Record<string, string> = {
  text: "string", textarea: "string", richtext: "string", email: "string", phone: "string", url: "string",
  number: "number", currency: "number", percent: "number", boolean: "boolean", date: "string", datetime: "string",
  picklist: "string", multipicklist: "array", lookup: "string", masterdetail: "string", autonumber: "string", geolocation: "object",
};

/** defOf builds the JSON Schema of a field; prev keeps members the editor does not know. */
export function defOf(s: FieldState, prev: FieldDef = {}): FieldDef {
  const known = ["type", "x-crm-type", "x-crm-label", "x-crm-help", "x-crm-unique", "x-crm-indexed", "x-crm-history", "maxLength", "enum", "items",
    "x-crm-values", "x-crm-target", "x-crm-formula", "x-crm-result", "x-crm-scale", "minimum", "maximum", "x-crm-format", "x-crm-rollup"];
  const d: FieldDef = {};
  for (const [k, v] of Object.entries(prev)) if (!known.includes(k)) d[k] = v;
  if (jsonTypes[s.type]) d.type = s.type === "number" && s.integer ? "integer" : jsonTypes[s.type];
  d["x-crm-type"] = s.type;
  if (s.label.trim()) d["x-crm-label"] = s.label.trim();
  if (s.help.trim()) d["x-crm-help"] = s.help.trim();
  if (s.unique) d["x-crm-unique"] = true;
  if (s.indexed) d["x-crm-indexed"] = true;
  if (s.history) d["x-crm-history"] = true;
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));
  switch (s.type) {
    case "text":
    case "textarea":
      if (num(s.maxLength) !== undefined) d.maxLength = num(s.maxLength);
      break;
    case "picklist":
    case "multipicklist": {
      const vals: string[] = [];
      const meta: Record<string, { label: string }> = {};
      for (const line of s.values.split("\n")) {
        const [v, label] = line.split("|").map((x) => x.trim());
        if (!v) continue;
        vals.push(v);
        if (label) meta[v] = { label };
      }
      const prevMeta = prev["x-crm-values"] ?? {};
      for (const v of vals) if (prevMeta[v]) meta[v] = { ...prevMeta[v], ...(meta[v] ?? {}) };
      if (s.type === "picklist") d.enum = vals;
      else d.items = { type: "string", enum: vals };
      if (Object.keys(meta).length) d["x-crm-values"] = meta;
      break;
    }
    case "lookup":
    case "masterdetail":
      if (s.target) d["x-crm-target"] = s.target;
      break;
    case "formula":
      d["x-crm-formula"] = s.formula;
      d["x-crm-result"] = s.result;
      break;
    case "rollup": {
      const r: Record<string, string> = { object: s.rollupObject, op: s.rollupOp };
      if (s.rollupField) r.field = s.rollupField;
      if (s.rollupFilter) r.filter = s.rollupFilter;
      d["x-crm-rollup"] = r;
      d["x-crm-result"] = s.result;
      break;
    }
    case "number":
    case "currency":
    case "percent":
      if (num(s.scale) !== undefined) d["x-crm-scale"] = num(s.scale);
      if (num(s.min) !== undefined) d.minimum = num(s.min);
      if (num(s.max) !== undefined) d.maximum = num(s.max);
      break;
    case "autonumber":
      d["x-crm-format"] = s.format;
      break;
  }
  return d;
}

/** settingOf names the editor input an error pointer such as
 * /properties/amount/x-crm-scale concerns. */
export function settingOf(pointer: string): keyof FieldState | "" {
  const rest = pointer.split("/").slice(3);
  const k = rest[0] ?? "";
  const map: Record<string, keyof FieldState> = {
    "x-crm-type": "type", "x-crm-label": "label", "x-crm-help": "help", "x-crm-unique": "unique", "x-crm-indexed": "indexed",
    "x-crm-history": "history", maxLength: "maxLength", enum: "values", items: "values", "x-crm-values": "values",
    "x-crm-target": "target", "x-crm-formula": "formula", "x-crm-result": "result", "x-crm-scale": "scale", minimum: "min",
    maximum: "max", "x-crm-format": "format", type: "type",
  };
  if (k === "x-crm-rollup") {
    const sub = rest[1] ?? "";
    return sub === "field" ? "rollupField" : sub === "op" ? "rollupOp" : sub === "filter" ? "rollupFilter" : "rollupObject";
  }
  return map[k] ?? (k === "" ? "name" : "");
}
