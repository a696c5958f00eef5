// The REST client of the studio: every call to /api/v1 goes through here, so
// credentials, problem+json errors and "not built yet" answers are handled once.

export interface FieldError {
  field?: string;
  code?: string;
  message: string;
  position?: number;
}

/** ApiError is a problem+json answer (or a network failure, status 0). */
export class ApiError extends Error {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors: FieldError[];
  constructor(status: number, body: any) {
    const detail = (body && (body.detail || body.title)) || (status === 0 ? "The server cannot be reached." : `HTTP ${status}`);
    super(detail);
    this.status = status;
    this.code = body?.code ?? "";
    this.title = body?.title ?? "";
    this.detail = detail;
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
  /** fieldErrors maps a field name (its last path segment) to its messages. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const key = fieldKey(e.field);
      out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message;
    }
    return out;
  }
}

/** fieldKey turns "/properties/amount" or "amount" into "amount". */
export function fieldKey(f?: string): string {
  if (!f) return "";
  const parts = f.split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : f;
}

export interface Session {
  token: string;
  tenant: string;
  user: { id: string; email: string; name: string; roles: string[] };
}

const storageKey = "crm.session";

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(storageKey);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null) {
  if (s) localStorage.setItem(storageKey, JSON.stringify(s));
  else localStorage.removeItem(storageKey);
}

let onUnauthenticated: () => void = () => {};
/** setUnauthenticatedHandler is called when any call answers 401. */
export function setUnauthenticatedHandler(f: () => void) {
  onUnauthenticated = f;
}

export interface Reply<T> {
  data: T;
  etag: string | null;
  status: number;
}

export async function request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const s = loadSession();
  const h: Record<string, string> = { Accept: "application/json", ...headers };
  if (s) h.Authorization = `Bearer ${s.token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData || typeof body === "string") payload = body as BodyInit;
  else if (body !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers: h, body: payload });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await res.text();
  let data: any = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && s && !path.startsWith("/auth/login")) onUnauthenticated();
    throw new ApiError(res.status, data);
  }
  return { data: data as T, etag: res.headers.get("ETag"), status: res.status };
}

export const api = {
  get: <T = any>(p: string) => request<T>("GET", p).then((r) => r.data),
  post: <T = any>(p: string, b?: unknown) => request<T>("POST", p, b ?? {}).then((r) => r.data),
  put: <T = any>(p: string, b: unknown) => request<T>("PUT", p, b).then((r) => r.data),
  patch: <T = any>(p: string, b: unknown, etag?: string) =>
    request<T>("PATCH", p, b, etag ? { "If-Match": etag, "Content-Type": "application/merge-patch+json" } : {}).then((r) => r.data),
  del: (p: string) => request("DELETE", p).then(() => undefined),
};

/** qs builds a query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}

/** withPosition adds an error's position to its message when the message does not say it. */
export function withPosition(e: FieldError): string {
  return e.position && !/position/i.test(e.message) ? `${e.message} (at position ${e.position})` : e.message;
}
