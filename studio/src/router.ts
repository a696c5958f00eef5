// A small history router for the studio: paths below /studio/, matched by
// patterns such as "/o/:object/:id".
import { useEffect, useState } from "preact/hooks";

export const base = "/studio";

export function currentPath(): string {
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname;
  return p === "" ? "/" : p;
}

/** navigate changes the route without reloading; replace keeps history short. */
export function navigate(path: string, replace = false) {
  const url = base + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  dispatchEvent(new PopStateEvent("popstate"));
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const f = () => setPath(currentPath() + location.search);
    addEventListener("popstate", f);
    return () => removeEventListener("popstate", f);
  }, []);
  return path.split("?")[0];
}

/** match returns the parameters of pattern in path, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split("/").filter(Boolean);
  const b = path.split("/").filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

/** onLinkClick makes an <a href="/studio/..."> navigate in place. */
export function onLinkClick(e: MouseEvent) {
  const a = (e.target as HTMLElement).closest("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target) return;
  const href = a.getAttribute("href");
  if (!href || !href.startsWith(base + "/")) return;
  e.preventDefault();
  navigate(href.slice(base.length));
}
