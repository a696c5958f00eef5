// Shared building blocks: labelled inputs, error and empty states, spinner.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";

let seq = 0;
/** useId gives a stable, unique id for label/input pairs. */
export function useId(prefix = "f"): string {
  const [id] = useState(() => `${prefix}-${++seq}`);
  return id;
}

export function Field(props: { label: string; error?: string; help?: string; children: (id: string, describedBy?: string) => ComponentChildren }) {
  const id = useId();
  const errId = props.error ? `${id}-err` : undefined;
  return (
    <div class={"field" + (props.error ? " invalid" : "")}>
      <label for={id}>{props.label}</label>
      {props.children(id, errId)}
      {props.help && !props.error && <small class="help">{props.help}</small>}
      {props.error && (
        <small class="error" id={errId} role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

export function TextInput(props: { label: string; value: string; onInput: (v: string) => void; error?: string; help?: string; type?: string; required?: boolean; autoFocus?: boolean; placeholder?: string; name?: string }) {
  return (
    <Field label={props.label} error={props.error} help={props.help}>
      {(id, d) => (
        <input
          id={id}
          name={props.name}
          type={props.type ?? "text"}
          value={props.value}
          required={props.required}
          autoFocus={props.autoFocus}
          placeholder={props.placeholder}
          aria-invalid={props.error ? "true" : undefined}
          aria-describedby={d}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
      )}
    </Field>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spin" aria-hidden="true" /> {props.label ?? "Loading…"}
    </div>
  );
}

/** ErrorBox shows an API error; a 404 of an endpoint reads as "not available". */
export function ErrorBox(props: { error: unknown; what?: string }) {
  const e = props.error;
  if (!e) return null;
  if (e instanceof ApiError) {
    return (
      <div class="alert" role="alert">
        <strong>{e.title || "Something went wrong"}</strong> {e.detail}
        {e.errors.length > 0 && (
          <ul>
            {e.errors.map((fe) => (
              <li>
                {fe.field ? <code>{fe.field}</code> : null} {fe.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div class="alert" role="alert">
      {String((e as Error).message ?? e)}
    </div>
  );
}

/** Unavailable is shown when the server does not offer an endpoint (404). */
export function Unavailable(props: { what: string }) {
  return (
    <div class="empty" role="status">
      <h2>{props.what} is not available on this server</h2>
      <p>The server answered 404 for its API. It arrives with a newer version of the platform; nothing is wrong with your data.</p>
    </div>
  );
}

export function isMissingEndpoint(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && (e.code === "" || e.code.startsWith("route") || e.code === "http.not_found" || e.code === "not_found");
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

/** useAsync runs load when deps change and keeps its state. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  useEffect(() => {
    const f = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    addEventListener("keydown", f);
    return () => removeEventListener("keydown", f);
  }, []);
  return (
    <div class="modal-back" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.title}>
        <header>
          <h2>{props.title}</h2>
          <button type="button" class="link" aria-label="Close" onClick={props.onClose}>
            ✕
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}

let toastSet: ((m: string | null) => void) | null = null;
/** toast shows a short status message at the bottom of the screen. */
export function toast(m: string) {
  toastSet?.(m);
}
export function Toaster() {
  const [m, setM] = useState<string | null>(null);
  toastSet = setM;
  useEffect(() => {
    if (!m) return;
    const t = setTimeout(() => setM(null), 3500);
    return () => clearTimeout(t);
  }, [m]);
  return m ? (
    <div class="toast" role="status">
      {m}
    </div>
  ) : null;
}
