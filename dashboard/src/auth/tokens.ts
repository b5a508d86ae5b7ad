/**
 * The signed-in session's tokens. The access token (15 minutes) and the
 * refresh token are kept in localStorage so that a reload or a second tab
 * stays signed in; refresh tokens rotate on every use and a reused one ends
 * the whole session, so tabs refresh one at a time under a Web Lock and a tab
 * that finds a fresher token stored by another takes it instead of refreshing.
 */
import type { components } from "../api/schema";

type TokenPair = components["schemas"]["TokenPair"];

interface Stored {
  access_token: string;
  /** ms since epoch */
  access_expires_at: number;
  refresh_token: string;
  session_id: string;
}

const KEY = "dashboard.session";
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

const listeners = new Set<() => void>();
let current: Stored | null = read();
let refreshing: Promise<boolean> | null = null;

function read(): Stored | null {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "null") as Stored | null;
    return value && typeof value.refresh_token === "string" ? value : null;
  } catch {
    return null;
  }
}

function write(value: Stored | null) {
  current = value;
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

// Another tab signed in, refreshed or signed out.
addEventListener("storage", (event) => {
  if (event.key !== KEY) return;
  current = read();
  for (const listener of listeners) listener();
});

export function onTokensChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const hasSession = () => current !== null;
export const sessionId = () => current?.session_id ?? null;

export function accessToken(): string | null {
  return current && current.access_expires_at > Date.now() ? current.access_token : null;
}

export function storeTokens(pair: TokenPair) {
  write({
    access_token: pair.access_token,
    access_expires_at: Date.now() + pair.expires_in * 1000,
    refresh_token: pair.refresh_token,
    session_id: pair.session_id,
  });
}

export function clearTokens() {
  write(null);
}

/** The access token, refreshed first when it is about to expire. */
export async function freshAccessToken(): Promise<string | null> {
  if (current && current.access_expires_at - EARLY_MS > Date.now()) return current.access_token;
  return (await refreshSession()) ? accessToken() : null;
}

async function refreshOnce(): Promise<boolean> {
  const seen = current?.refresh_token;
  const stored = read();
  if (!stored) {
    write(null);
    return false;
  }
  // Another tab refreshed while this one waited: its tokens are the live ones.
  if (stored.refresh_token !== seen && stored.access_expires_at - EARLY_MS > Date.now()) {
    write(stored);
    return true;
  }
  const base = ((import.meta.env.VITE_API_ORIGIN as string | undefined) ?? "").replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${base}/v1/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: stored.refresh_token }),
    });
  } catch {
    return false; // offline: keep the session, try again later
  }
  if (!response.ok) {
    write(null);
    return false;
  }
  storeTokens((await response.json()) as TokenPair);
  return true;
}

/** Exchanges the refresh token for new tokens, once at a time across tabs. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      if (navigator.locks) return await navigator.locks.request("dashboard.refresh", refreshOnce);
      return await refreshOnce();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** Refreshes ahead of expiry while the page is open; returns the stopper. */
export function keepFresh(): () => void {
  const timer = setInterval(() => {
    if (current && current.access_expires_at - EARLY_MS <= Date.now()) void refreshSession();
  }, 15_000);
  return () => clearInterval(timer);
}
