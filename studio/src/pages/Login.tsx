import { useState } from "preact/hooks";
import { api, ApiError, saveSession, type Session } from "../api";
import { TextInput } from "../ui";

export function Login(props: { onSignedIn: (s: Session) => void }) {
  const [tenant, setTenant] = useState(localStorage.getItem("crm.lastTenant") ?? "");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>("");
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const r = await api.post<{ token: string; user: Session["user"] }>("/auth/login", { tenant: tenant.trim(), email: email.trim(), password });
      const s: Session = { token: r.token, user: r.user, tenant: tenant.trim() };
      saveSession(s);
      localStorage.setItem("crm.lastTenant", tenant.trim());
      props.onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiError ? (err.status === 401 ? "The tenant, email or password is wrong." : err.detail) : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to the studio</h1>
        <TextInput label="Tenant" name="tenant" value={tenant} onInput={setTenant} required autoFocus={!tenant} help="Your company's name on this platform, e.g. acme" />
        <TextInput label="Email" name="email" type="email" value={email} onInput={setEmail} required autoFocus={!!tenant} />
        <TextInput label="Password" name="password" type="password" value={password} onInput={setPassword} required />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
