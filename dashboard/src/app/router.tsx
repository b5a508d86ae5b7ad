/**
 * A small history router: paths like `/organizer/events/:event_id` matched in
 * order, links that push history, and the location as React state. Deep links
 * work because the server answers index.html for every page path (Workers
 * Static Assets' single-page-application mode; Pages does the same).
 */
import { createContext, useContext, useEffect, useState, type AnchorHTMLAttributes, type ReactNode } from "react";

export interface Location {
  path: string;
  search: URLSearchParams;
}

const LocationContext = createContext<Location>({ path: "/", search: new URLSearchParams() });
const listeners = new Set<() => void>();

function currentLocation(): Location {
  return { path: location.pathname, search: new URLSearchParams(location.search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  for (const listener of listeners) listener();
  window.scrollTo(0, 0);
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [current, setCurrent] = useState(currentLocation);
  useEffect(() => {
    const update = () => setCurrent(currentLocation());
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return <LocationContext.Provider value={current}>{children}</LocationContext.Provider>;
}

export const useLocation = () => useContext(LocationContext);

/** Replaces the query string (filters, search) without a new history entry. */
export function setSearch(values: Record<string, string | undefined>) {
  const search = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(values)) {
    if (value) search.set(name, value);
    else search.delete(name);
  }
  const query = search.toString();
  navigate(`${location.pathname}${query ? `?${query}` : ""}`, { replace: true });
}

/** `/a/:id/b` against `/a/42/b` → { id: "42" }, else null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const names: string[] = [];
  const source = pattern.replace(/:([a-z_]+)/g, (_whole, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  const match = new RegExp(`^${source}/?$`).exec(path);
  if (!match) return null;
  return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
}

/** Fills a pattern's parameters: `/events/:event_id` + { event_id } → `/events/…`. */
export function pathTo(pattern: string, params: Record<string, string> = {}): string {
  return pattern.replace(/:([a-z_]+)/g, (_whole, name: string) => encodeURIComponent(params[name] ?? ""));
}

export function Link({ to, children, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  return (
    <a
      {...rest}
      href={to}
      onClick={(event) => {
        rest.onClick?.(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
