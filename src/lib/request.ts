import type { Context } from "hono";

/** What the edge knows about the caller (sessions, login attempts and audit rows record it). */
export interface ClientMeta {
  ip: string | null;
  userAgent: string | null;
  country: string | null;
  city: string | null;
  deviceName?: string | null;
}

/** Who is calling, as far as the edge can tell (IP, user agent, country and city from `request.cf`). */
export function clientMeta(c: Context): ClientMeta {
  const cf = (c.req.raw as Request & { cf?: { country?: string; city?: string } }).cf;
  return {
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    country: cf?.country ?? null,
    city: cf?.city ?? null,
    deviceName: c.req.header("X-Device-Name")?.slice(0, 100) ?? null,
  };
}

/** Key for per-IP limits; requests without an edge IP (local tools) share one bucket. */
export const ipKey = (meta: ClientMeta): string => meta.ip ?? "unknown";
