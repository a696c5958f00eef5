// Inputs for every field type, used by the record form and inline edit.
import { useEffect, useState } from "preact/hooks";
import { api, qs } from "./api";
import { getObject, nameField, picklistValues, type FieldInfo } from "./meta";
import { Field } from "./ui";

/** toInput turns an API value into the text an input holds. */
function toText(f: FieldInfo, v: any): string {
  if (v === null || v === undefined) return "";
  if (f.type === "datetime") {
    const d = new Date(v);
    if (isNaN(d.getTime())) return String(v);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return String(v);
}

/** fromText turns an input's text into the API value (null when empty). */
function fromText(f: FieldInfo, s: string): any {
  if (s.trim() === "") return null;
  switch (f.type) {
    case "number":
    case "currency":
    case "percent": {
      const n = Number(s);
      return isNaN(n) ? s : n; // the API says what is wrong with a non-number
    }
    case "datetime":
      return new Date(s).toISOString();
    default:
      return s;
  }
}

export function FieldInput(props: { f: FieldInfo; value: any; onChange: (v: any) => void; error?: string; autoFocus?: boolean; hideLabel?: boolean }) {
  const { f } = props;
  const label = f.label + (f.required ? " *" : "");
  return (
    <Field label={label} error={props.error} help={f.def["x-crm-help"]}>
      {(id, d) => <Control id={id} describedBy={d} {...props} />}
    </Field>
  );
}

function Control(props: { id: string; describedBy?: string; f: FieldInfo; value: any; onChange: (v: any) => void; error?: string; autoFocus?: boolean }) {
  const { f, id, value, onChange } = props;
  const common = { id, "aria-describedby": props.describedBy, "aria-invalid": props.error ? ("true" as const) : undefined, autoFocus: props.autoFocus, name: f.name };
  const text = (type: string, extra: Record<string, any> = {}) => (
    <input {...common} type={type} value={toText(f, value)} onInput={(e) => onChange(fromText(f, (e.target as HTMLInputElement).value))} {...extra} />
  );
  switch (f.type) {
    case "textarea":
    case "richtext":
      return <textarea {...common} value={value ?? ""} onInput={(e) => onChange(fromText(f, (e.target as HTMLTextAreaElement).value))} />;
    case "email":
      return text("email");
    case "phone":
      return text("tel");
    case "url":
      return text("url");
    case "number":
    case "currency":
    case "percent":
      return text("text", { inputMode: "decimal" });
    case "date":
      return text("date");
    case "datetime":
      return text("datetime-local");
    case "boolean":
      return <input {...common} type="checkbox" checked={!!value} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />;
    case "picklist":
      return (
        <select {...common} value={value ?? ""} onChange={(e) => onChange(fromText(f, (e.target as HTMLSelectElement).value))}>
          <option value="">— None —</option>
          {picklistValues(f.def)
            .filter((p) => !p.inactive || p.value === value)
            .map((p) => (
              <option value={p.value}>{p.label}</option>
            ))}
        </select>
      );
    case "multipicklist": {
      const cur: string[] = Array.isArray(value) ? value : [];
      return (
        <div id={id} class="row" role="group" aria-describedby={props.describedBy}>
          {picklistValues(f.def)
            .filter((p) => !p.inactive || cur.includes(p.value))
            .map((p) => (
              <label class="row">
                <input type="checkbox" checked={cur.includes(p.value)} onChange={(e) => onChange((e.target as HTMLInputElement).checked ? [...cur, p.value] : cur.filter((x) => x !== p.value))} /> {p.label}
              </label>
            ))}
        </div>
      );
    }
    case "geolocation": {
      const g = value ?? {};
      const upd = (k: "lat" | "lng", s: string) => {
        const n = s === "" ? undefined : Number(s);
        const next = { ...g, [k]: n };
        onChange(next.lat === undefined && next.lng === undefined ? null : next);
      };
      return (
        <div class="row" id={id}>
          <input aria-label={`${f.label} latitude`} placeholder="Latitude" inputMode="decimal" value={g.lat ?? ""} onInput={(e) => upd("lat", (e.target as HTMLInputElement).value)} />
          <input aria-label={`${f.label} longitude`} placeholder="Longitude" inputMode="decimal" value={g.lng ?? ""} onInput={(e) => upd("lng", (e.target as HTMLInputElement).value)} />
        </div>
      );
    }
    case "lookup":
    case "masterdetail":
      return <LookupInput {...common} target={f.def["x-crm-target"]} value={value} onChange={onChange} />;
    default:
      return text("text");
  }
}

/** LookupInput searches the target object's records by their name field. */
function LookupInput(props: { id: string; target: string; value: any; onChange: (v: any) => void; name?: string; "aria-describedby"?: string }) {
  const [q, setQ] = useState("");
  const [options, setOptions] = useState<Array<{ id: string; name: string }>>([]);
  const [label, setLabel] = useState<string>("");
  const [nameOf, setNameOf] = useState("id");
  useEffect(() => {
    if (props.target === "user") {
      setNameOf("email");
      return;
    }
    getObject(props.target).then((o) => setNameOf(nameField(o)), () => {});
  }, [props.target]);
  useEffect(() => {
    if (!props.value) {
      setLabel("");
      return;
    }
    if (props.target === "user") {
      api.get(`/users/${props.value}`).then((u) => setLabel(u.name || u.email), () => setLabel(props.value));
      return;
    }
    api.get(`/records/${props.target}/${props.value}${qs({ fields: nameOf })}`).then((r) => setLabel(r[nameOf] ?? props.value), () => setLabel(props.value));
  }, [props.value, nameOf]);
  useEffect(() => {
    const t = setTimeout(async () => {
      try {
        if (props.target === "user") {
          const r = await api.get<{ items: any[] }>("/users");
          const needle = q.toLowerCase();
          setOptions(r.items.filter((u) => !needle || `${u.name} ${u.email}`.toLowerCase().includes(needle)).slice(0, 20).map((u) => ({ id: u.id, name: u.name || u.email })));
          return;
        }
        const filter = q.trim() && nameOf !== "id" ? `${nameOf} LIKE '%${q.trim().replace(/'/g, "\\'")}%'` : "";
        const r = await api.get<{ items: any[] }>(`/records/${props.target}${qs({ filter, limit: 20, fields: nameOf === "id" ? "id" : `id,${nameOf}` })}`);
        setOptions(r.items.map((x) => ({ id: x.id, name: x[nameOf] ?? x.id })));
      } catch {
        setOptions([]);
      }
    }, 250);
    return () => clearTimeout(t);
  }, [q, nameOf, props.target]);
  const listId = `${props.id}-list`;
  return (
    <div class="row">
      <input
        id={props.id}
        name={props.name}
        aria-describedby={props["aria-describedby"]}
        list={listId}
        placeholder={`Search ${props.target}…`}
        value={q || label}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          const hit = options.find((o) => o.name === v);
          if (hit) {
            props.onChange(hit.id);
            setLabel(hit.name);
            setQ("");
          } else {
            setQ(v);
            if (v === "") props.onChange(null);
          }
        }}
      />
      <datalist id={listId}>
        {options.map((o) => (
          <option value={o.name}>{o.id}</option>
        ))}
      </datalist>
    </div>
  );
}
