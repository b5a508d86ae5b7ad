import { escapeHtml } from "./http.ts";
import type { State, StoredEmail } from "./store.ts";

/** The demo page: every email (opened rendered), SMS and push the fakes received, newest first. */
export function listPage(state: State, origin: string): string {
  const time = (iso: string) => escapeHtml(iso.replace("T", " ").slice(0, 19));
  const emails = [...state.emails]
    .reverse()
    .map(
      (e) =>
        `<tr><td>${time(e.received_at)}</td><td>${escapeHtml(e.to.join(", "))}</td><td><a href="${origin}/email/${encodeURIComponent(e.id)}" target="_blank">${escapeHtml(e.subject)}</a></td>` +
        `<td>${e.attachments.length ? `${e.attachments.length} (${escapeHtml(e.attachments.map((a) => a.filename).join(", "))})` : ""}</td><td>${escapeHtml(e.headers["List-Unsubscribe"] ? "marketing" : "")}</td><td>${e.outcome}</td></tr>`,
    )
    .join("");
  const sms = [...state.sms]
    .reverse()
    .map((s) => `<tr><td>${time(s.received_at)}</td><td>${escapeHtml(s.to)}</td><td>${escapeHtml(s.from)}</td><td>${escapeHtml(s.body)}</td><td>${escapeHtml(s.status)}</td></tr>`)
    .join("");
  const push = [...state.push]
    .reverse()
    .map(
      (p) =>
        `<tr><td>${time(p.received_at)}</td><td title="${escapeHtml(p.token)}">${escapeHtml(p.token.slice(0, 16))}…</td><td><strong>${escapeHtml(p.title ?? "")}</strong><br>${escapeHtml(p.body ?? "")}</td><td><code>${escapeHtml(JSON.stringify(p.data))}</code></td></tr>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Fake notification providers</title>
<style>body{font-family:system-ui,sans-serif;margin:24px}table{border-collapse:collapse;width:100%;margin-bottom:32px}td,th{border:1px solid #ddd;padding:6px;text-align:left;vertical-align:top;font-size:14px}th{background:#f4f4f4}</style></head><body>
<h1>Messages sent by the platform</h1><p>Local fakes of Cloudflare Email Service, Twilio and Firebase Cloud Messaging. This page refreshes every 5 seconds.</p>
<h2>Email (${state.emails.length})</h2><table><tr><th>Received</th><th>To</th><th>Subject (opens the email)</th><th>Attachments</th><th></th><th>Outcome</th></tr>${emails}</table>
<h2>SMS (${state.sms.length})</h2><table><tr><th>Received</th><th>To</th><th>From</th><th>Text</th><th>Status</th></tr>${sms}</table>
<h2>Push (${state.push.length})</h2><table><tr><th>Received</th><th>Device token</th><th>Notification</th><th>Data</th></tr>${push}</table>
</body></html>`;
}

/** One email as a mail client shows it: its HTML, with inline images (cid:) served by the fake. */
export function emailPage(email: StoredEmail, origin: string): string {
  const html = email.html ?? `<pre>${escapeHtml(email.text ?? "")}</pre>`;
  const base = `${origin}/email/${encodeURIComponent(email.id)}/cid/`;
  return html.replace(/(["'])cid:([^"']+)\1/g, (_, quote: string, cid: string) => `${quote}${base}${encodeURIComponent(cid)}${quote}`);
}
