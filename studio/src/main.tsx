// The studio's entry: session, navigation shell and routes.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./styles.css";
import { api, loadSession, saveSession, setUnauthenticatedHandler, type Session } from "./api";
import { match, navigate, onLinkClick, usePath, base } from "./router";
import { Toaster } from "./ui";
import { Login } from "./pages/Login";
import { routes } from "./routes";
import { Tour } from "./pages/Tour";
import { MigrationDialog, MigrationIndicator } from "./migrations";

function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const path = usePath();
  const [menuOpen, setMenuOpen] = useState(false);
  // The phone menu closes once a link is followed.
  useEffect(() => setMenuOpen(false), [path]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      saveSession(null);
      setSession(null);
    });
  }, []);

  if (!session) {
    return (
      <>
        <Login
          onSignedIn={(s) => {
            setSession(s);
            if (path === "/" || path === "/login") navigate("/objects", true);
          }}
        />
        <Toaster />
      </>
    );
  }

  async function signOut() {
    try {
      await api.post("/auth/logout");
    } catch {
      /* the session may be gone already: signing out locally is enough */
    }
    saveSession(null);
    setSession(null);
    navigate("/login", true);
  }

  let page = null;
  for (const r of routes) {
    const params = match(r.path, path);
    if (params) {
      page = r.render(params);
      break;
    }
  }
  if (!page) {
    if (path === "/" || path === "/login") {
      navigate("/objects", true);
    } else page = <p class="empty">There is no page at {path}. Use the menu to find your way.</p>;
  }
  const nav: Array<[string, string]> = [
    ["/objects", "Objects"],
    ["/records", "Records"],
    ["/reports", "Reports"],
    ["/automation/scripts", "Scripts"],
    ["/automation/workflows", "Workflows"],
    ["/security/users", "Users"],
    ["/security/roles", "Roles"],
    ["/security/apikeys", "API keys"],
    ["/bin", "Recycle bin"],
  ];
  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={`${base}/objects`}>
          opencrm <span>studio</span>
        </a>
        {/* A button, not <details>: a closed <details> hides its content at
            every width, and the menu must show in full on wide screens. */}
        <div class={"menu" + (menuOpen ? " open" : "")}>
          <button type="button" class="menu-toggle" aria-label="Menu" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
            ☰
          </button>
          <nav id="main-nav" aria-label="Main">
            {nav.map(([href, label]) => (
              <a href={base + href} aria-current={path.startsWith(href) ? "page" : undefined}>
                {label}
              </a>
            ))}
          </nav>
        </div>
        <MigrationIndicator />
        <span class="who">
          {session.user?.name || session.user?.email} · {session.tenant}
        </span>
        <button type="button" class="link" onClick={() => {
            localStorage.removeItem("crm.tourDone");
            navigate(path + "?tour=1");
          }}>
          Tour
        </button>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
      <MigrationDialog />
      <Tour />
      <Toaster />
    </div>
  );
}

const root = document.getElementById("app")!;
root.textContent = ""; // drop the "Loading" placeholder of index.html
render(<App />, root);
