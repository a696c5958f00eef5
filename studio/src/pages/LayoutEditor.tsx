// The layout editor: drag fields from the palette into sections (one or two
// columns), reorder them, and save the object's "default" layout, which the
// record page and form follow.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { fieldsOf, type ObjectDef } from "../meta";
import { ErrorBox, Spinner, toast } from "../ui";

export interface LayoutItem {
  field: string;
  readOnly?: boolean;
}
export interface LayoutSection {
  label?: string;
  columns?: number;
  items: LayoutItem[];
}
export interface Layout {
  name: string;
  label?: string;
  object: string;
  sections: LayoutSection[];
}

export const defaultLayoutName = "default";

/** loadLayout returns the object's default layout, or null when it has none (or the server has no layouts). */
export async function loadLayout(object: string): Promise<Layout | null> {
  try {
    const v = await api.get<{ definition: Layout }>(`/objects/${object}/layouts/${defaultLayoutName}`);
    return v.definition;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

/** generatedLayout puts every field in one two-column section, system fields in a second. */
export function generatedLayout(o: ObjectDef): Layout {
  const fs = fieldsOf(o);
  return {
    name: defaultLayoutName,
    object: o.apiName,
    sections: [
      { label: "Details", columns: 2, items: fs.filter((f) => !f.system).map((f) => ({ field: f.name })) },
    ],
  };
}

type Drag = { from: "palette"; field: string } | { from: "section"; section: number; index: number };

export function LayoutEditor(props: { object: ObjectDef }) {
  const o = props.object;
  const [layout, setLayout] = useState<Layout | null>(null);
  const [stored, setStored] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [over, setOver] = useState<string>("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    loadLayout(o.apiName).then(
      (l) => {
        setStored(!!l);
        setLayout(l ?? generatedLayout(o));
      },
      setError,
    );
  }, [o.apiName, o.version]);

  if (!layout) return error ? <ErrorBox error={error} /> : <Spinner label="Loading the layout…" />;
  const placed = new Set(layout.sections.flatMap((s) => s.items.map((i) => i.field)));
  const fields = fieldsOf(o);
  const labelOf = (n: string) => fields.find((f) => f.name === n)?.label ?? n;
  const palette = fields.filter((f) => !placed.has(f.name) && f.name !== "id");

  function update(f: (l: Layout) => void) {
    const next: Layout = JSON.parse(JSON.stringify(layout));
    f(next);
    setLayout(next);
  }

  function dropAt(section: number, index: number) {
    if (!drag) return;
    update((l) => {
      let item: LayoutItem;
      if (drag.from === "palette") item = { field: drag.field };
      else {
        item = l.sections[drag.section].items.splice(drag.index, 1)[0];
        if (drag.section === section && drag.index < index) index--;
      }
      l.sections[section].items.splice(index, 0, item);
    });
    setDrag(null);
    setOver("");
  }

  function removeItem(section: number, index: number) {
    update((l) => l.sections[section].items.splice(index, 1));
  }

  async function save() {
    setBusy(true);
    setError(null);
    try {
      await api.put(`/objects/${o.apiName}/layouts/${defaultLayoutName}`, layout);
      setStored(true);
      toast("Layout saved");
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <p class="muted">
        Drag fields from the left into a section, or between sections, to arrange the record page. {stored ? "" : "This object has no saved layout yet: this one is generated from its fields."}
      </p>
      <div class="layout-editor">
        <div class="palette" aria-label="Fields not on the layout">
          <h2>Fields</h2>
          {palette.length === 0 && <p class="muted">Every field is on the layout.</p>}
          {palette.map((f) => (
            <div class="chip" draggable data-chip={f.name} onDragStart={() => setDrag({ from: "palette", field: f.name })}>
              {f.label}
              <button
                type="button"
                class="link"
                aria-label={`Add ${f.label} to the first section`}
                onClick={() => update((l) => l.sections[0]?.items.push({ field: f.name }))}
              >
                +
              </button>
            </div>
          ))}
        </div>
        <div>
          {layout.sections.map((s, si) => (
            <div class="lsection" data-section={si}>
              <div class="row">
                <label class="grow">
                  <span class="sr">Section {si + 1} title</span>
                  <input value={s.label ?? ""} aria-label={`Section ${si + 1} title`} onInput={(e) => update((l) => (l.sections[si].label = (e.target as HTMLInputElement).value))} />
                </label>
                <label>
                  <span class="sr">Columns of section {si + 1}</span>
                  <select aria-label={`Columns of section ${si + 1}`} value={String(s.columns ?? 2)} onChange={(e) => update((l) => (l.sections[si].columns = Number((e.target as HTMLSelectElement).value)))}>
                    <option value="1">1 column</option>
                    <option value="2">2 columns</option>
                  </select>
                </label>
                <button type="button" class="danger" disabled={layout.sections.length === 1} onClick={() => update((l) => { const [gone] = l.sections.splice(si, 1); l.sections[0].items.push(...gone.items); })}>
                  Remove section
                </button>
              </div>
              <div
                class={`lcols ${s.columns === 1 ? "one" : ""} ${over === `s${si}` ? "lcol over" : "lcol"}`}
                data-drop={`section-${si}`}
                onDragOver={(e) => {
                  e.preventDefault();
                  setOver(`s${si}`);
                }}
                onDragLeave={() => setOver("")}
                onDrop={(e) => {
                  e.preventDefault();
                  dropAt(si, s.items.length);
                }}
              >
                {s.items.map((it, ii) => (
                  <div
                    class="chip"
                    draggable
                    data-chip={it.field}
                    onDragStart={(e) => {
                      e.stopPropagation();
                      setDrag({ from: "section", section: si, index: ii });
                    }}
                    onDragOver={(e) => e.preventDefault()}
                    onDrop={(e) => {
                      e.preventDefault();
                      e.stopPropagation();
                      dropAt(si, ii);
                    }}
                  >
                    <span>{labelOf(it.field)}</span>
                    <span class="row">
                      <label title="Read only on the form">
                        <input type="checkbox" checked={!!it.readOnly} aria-label={`${labelOf(it.field)} read only`} onChange={(e) => update((l) => (l.sections[si].items[ii].readOnly = (e.target as HTMLInputElement).checked || undefined))} /> ro
                      </label>
                      <button type="button" class="link" aria-label={`Remove ${labelOf(it.field)} from the layout`} onClick={() => removeItem(si, ii)}>
                        ✕
                      </button>
                    </span>
                  </div>
                ))}
                {s.items.length === 0 && <p class="muted">Drop fields here.</p>}
              </div>
            </div>
          ))}
          <div class="row">
            <button type="button" onClick={() => update((l) => l.sections.push({ label: "New section", columns: 2, items: [] }))}>
              Add section
            </button>
            <span class="grow" />
            <button type="button" class="primary" onClick={save} disabled={busy}>
              {busy ? "Saving…" : "Save layout"}
            </button>
          </div>
          <ErrorBox error={error} />
        </div>
      </div>
    </div>
  );
}
