import type { PaymentStore } from "./store.ts";
import type { Outcome, Transaction } from "./shared.ts";

/**
 * The fakes' pages for a person at `npm start`: pending payments with
 * Approve / Decline buttons (they post to the control API, which sends the
 * provider's callback), a KkiaPay widget payment, and the hosted payment page
 * of one transaction (`/checkout/{provider}/{reference}`).
 */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function decisionForm(tx: Transaction, redirect: string): string {
  const button = (status: Outcome, label: string) =>
    `<form method="post" action="/_control/${tx.provider}/settle"><input type="hidden" name="reference" value="${escapeHtml(tx.reference)}">` +
    `<input type="hidden" name="status" value="${status}"><input type="hidden" name="deliver" value="true">` +
    `<input type="hidden" name="redirect" value="${redirect}"><button>${label}</button></form>`;
  return `${button("PAID", "Approve")} ${button("FAILED", "Decline")}`;
}

function page(title: string, content: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}form{display:inline}button{margin:0 .2rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${content}</body></html>`;
}

const row = (tx: Transaction, actions: string) =>
  `<tr><td>${tx.provider}</td><td><code>${escapeHtml(tx.reference)}</code></td><td>${escapeHtml(tx.internal_reference ?? "")}</td>` +
  `<td>${tx.amount} ${escapeHtml(tx.currency)}</td><td>${escapeHtml(tx.description)}</td><td>${tx.status}</td><td>${actions}</td></tr>`;

const table = (rows: string[]) =>
  rows.length
    ? `<table><tr><th>Provider</th><th>Reference</th><th>Ours</th><th>Amount</th><th>Description</th><th>Status</th><th></th></tr>${rows.join("")}</table>`
    : "<p>None.</p>";

export function homePage(store: PaymentStore): string {
  const all = store.all().sort((a, b) => b.created_at.localeCompare(a.created_at));
  const pending = all.filter((tx) => tx.status === "PENDING").map((tx) => row(tx, decisionForm(tx, "/")));
  const settled = all.filter((tx) => tx.status !== "PENDING").slice(0, 20).map((tx) => row(tx, ""));
  const widget =
    `<form method="post" action="/_control/kkiapay/pay"><input type="hidden" name="deliver" value="true">` +
    `Amount (XOF) <input name="amount" size="8" required> Our reference (widget data) <input name="data" size="24" required> ` +
    `<select name="status"><option>PAID</option><option>FAILED</option></select> <button>Pay with the KkiaPay widget</button></form>`;
  return page(
    "Fake payment providers",
    `<p>MTN MoMo, FedaPay, KkiaPay, Konnect and Stripe on loopback. Approving sends the provider's callback to the platform.</p>` +
      `<h2>Waiting for the payer</h2>${table(pending)}<h2>KkiaPay widget</h2>${widget}<h2>Recently settled</h2>${table(settled)}`,
  );
}

export function checkoutPage(tx: Transaction): string {
  const actions = tx.status === "PENDING" ? decisionForm(tx, "return") : "";
  return page(`Pay ${tx.amount} ${tx.currency} (${tx.provider})`, table([row(tx, actions)]));
}
