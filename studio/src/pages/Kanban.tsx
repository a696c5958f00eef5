// The board: an object's records in columns by a picklist field; dragging a
// card (or moving it with the keyboard) changes the value through a PATCH.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, qs, request } from "../api";
import { display, fieldsOf, getObject, nameField, picklistValues, type ObjectDef } from "../meta";
import { base } from "../router";
import { Empty, ErrorBox, Spinner, toast, useAsync } from "../ui";

export function Kanban(props: { object: string }) {
  const meta = useAsync(() => getObject(props.object), [props.object]);
  if (meta.loading) return <Spinner />;
  if (meta.error) return <ErrorBox error={meta.error} />;
  return <Board o={meta.data!} />;
}

function Board(props: { o: ObjectDef }) {
  const o = props.o;
  const picklists = fieldsOf(o).filter((f) => f.type === "picklist");
  const [by, setBy] = useState(picklists.find((f) => f.name === "stage")?.name ?? picklists[0]?.name ?? "");
  const field = picklists.find((f) => f.name === by);
  const nf = nameField(o);
  const money = fieldsOf(o).find((f) => f.type === "currency" && !f.system);
  const [cards, setCards] = useState<any[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [over, setOver] = useState<string | null>(null);

  useEffect(() => {
    setCards(null);
    api.get(`/records/${o.apiName}${qs({ limit: 200, sort: "-updatedAt,id" })}`).then(
      (p) => (setCards(p.items), setMore(!!p.nextCursor)),
      setError,
    );
  }, [o.apiName, by]);

  if (!field)
    return (
      <Empty title="No picklist to group by">
        <p>
          A board needs a picklist field (for example a stage). <a href={`${base}/objects/${o.apiName}`}>Add one to {o.title}</a>.
        </p>
      </Empty>
    );
  const values = picklistValues(field.def).filter((v) => !v.inactive);
  const columns = [...values.map((v) => ({ value: v.value as string | null, label: v.label })), { value: null, label: "No value" }];

  async function move(id: string, to: string | null) {
    const card = cards!.find((c) => c.id === id);
    if (!card || (card[by] ?? null) === to) return;
    const before = cards!;
    setCards(cards!.map((c) => (c.id === id ? { ...c, [by]: to } : c))); // optimistic
    try {
      const r = await request("PATCH", `/records/${o.apiName}/${id}`, { [by]: to }, { "If-Match": `"${card.version}"` });
      setCards((cs) => cs!.map((c) => (c.id === id ? r.data : c)));
      toast(`${card[nf] ?? id} moved to ${columns.find((c) => c.value === to)?.label}`);
    } catch (e) {
      setCards(before);
      setError(e instanceof ApiError && e.status === 412 ? new Error("Someone changed this record meanwhile; the board shows it as it was. Reload to see the change.") : e);
    }
  }

  return (
    <section>
      <p class="crumbs">
        <a href={`${base}/o/${o.apiName}`}>{o["x-crm-plural"] ?? o.title}</a> / Board
      </p>
      <div class="page-head">
        <h1>{o["x-crm-plural"] ?? o.title} board</h1>
        {picklists.length > 1 && (
          <label class="row">
            Group by
            <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value)}>
              {picklists.map((p) => (
                <option value={p.name}>{p.label}</option>
              ))}
            </select>
          </label>
        )}
        <a class="button" href={`${base}/o/${o.apiName}`}>
          List
        </a>
      </div>
      <ErrorBox error={error} />
      {more && <p class="muted">The board shows the 200 most recently changed records.</p>}
      {!cards ? (
        <Spinner label="Loading the board…" />
      ) : (
        <div class="board">
          {columns.map((col) => {
            const mine = cards.filter((c) => (c[by] ?? null) === col.value);
            const total = money ? mine.reduce((s, c) => s + (Number(c[money.name]) || 0), 0) : 0;
            const key = col.value ?? "";
            return (
              <div
                class={over === key ? "column over" : "column"}
                data-column={key}
                role="group"
                aria-label={col.label}
                onDragOver={(e) => {
                  e.preventDefault();
                  setOver(key);
                }}
                onDragLeave={() => setOver(null)}
                onDrop={(e) => {
                  e.preventDefault();
                  setOver(null);
                  const id = e.dataTransfer?.getData("text/plain");
                  if (id) move(id, col.value);
                }}
              >
                <h2>
                  <span>{col.label}</span> <span class="muted">{mine.length}</span>
                </h2>
                {money && mine.length > 0 && <p class="muted">{display(money, total)}</p>}
                {mine.map((c) => (
                  <div
                    class="kcard"
                    draggable
                    tabIndex={0}
                    data-card={c.id}
                    aria-label={`${c[nf] ?? c.id}, ${col.label}. Left and right arrows move it.`}
                    onDragStart={(e) => e.dataTransfer?.setData("text/plain", c.id)}
                    onKeyDown={(e) => {
                      const i = columns.findIndex((x) => x.value === col.value);
                      if (e.key === "ArrowRight" && i < columns.length - 1) move(c.id, columns[i + 1].value);
                      if (e.key === "ArrowLeft" && i > 0) move(c.id, columns[i - 1].value);
                      if (e.key === "Enter") location.assign(`${base}/o/${o.apiName}/${c.id}`);
                    }}
                  >
                    <a href={`${base}/o/${o.apiName}/${c.id}`} draggable={false}>
                      {c[nf] ?? c.id}
                    </a>
                    {money && <small>{display(money, c[money.name])}</small>}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </section>
  );
}
