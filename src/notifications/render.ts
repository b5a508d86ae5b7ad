import { formatMoney } from "../lib/money.ts";
import { formatDateTime } from "../lib/time.ts";
import type { Channel, MessageData, MessageValue, NotificationType } from "./schema.ts";
import { DEFAULT_TEMPLATES } from "./templates.ts";
import { TYPE_RULES } from "./types.ts";

export type Language = "fr" | "ar" | "en";

/** The editable content of one template row (notification_templates), for one type and language. */
export interface TemplateContent {
  email_subject: string;
  email_body_html: string;
  push_title: string;
  push_body: string;
  sms_body: string | null;
  in_app_body: string;
  active_channels: Channel[];
  is_active: boolean;
}

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/g;

export const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Placeholders a text uses, in order of first use. */
export function placeholdersOf(text: string | null | undefined): string[] {
  return [...new Set([...(text ?? "").matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * The variables a type's templates may use: those of its default texts, the
 * recipient's first name, and for messages that carry tickets the link to
 * them (`tickets_url`, set for people without a password).
 */
export function variablesOf(type: NotificationType): string[] {
  const texts = Object.values(DEFAULT_TEMPLATES[type]).flatMap((t) => [t.subject, t.body, t.sms ?? ""]);
  const names = new Set(["first_name", ...texts.flatMap(placeholdersOf)]);
  if (TYPE_RULES[type].tickets) names.add("tickets_url");
  return [...names].sort();
}

/** A default paragraph text as template HTML: escaped, blank lines between paragraphs, line breaks kept. */
function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => (/^\{[a-z_][a-z0-9_]*\}$/.test(p) ? `<div>${p}</div>` : `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`))
    .join("\n");
}

/** The row a type and language is seeded with, from its default text. */
export function defaultContent(type: NotificationType, language: Language): TemplateContent {
  const text = DEFAULT_TEMPLATES[type][language];
  const sms = text.sms ?? (text.body.length <= 160 ? text.body : null);
  const channels: Channel[] = ["IN_APP", "EMAIL", "PUSH"];
  if (sms) channels.push("SMS");
  return {
    email_subject: text.subject,
    email_body_html: paragraphs(text.body),
    push_title: text.subject,
    push_body: text.body,
    sms_body: sms,
    in_app_body: text.body,
    active_channels: channels,
    is_active: true,
  };
}

/** Digest items, one line each. */
type Items = { title: string; body: string }[];
const isItems = (value: MessageValue): value is Items => Array.isArray(value);

/** One value as people read it in `language`: money and instants formatted, digest items as lines. */
export function formatValue(value: MessageValue | undefined, language: Language): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (isItems(value)) return value.map((item) => `• ${item.title}: ${item.body}`).join("\n");
  if ("amount" in value) return formatMoney(value.amount, value.currency, language);
  return formatDateTime(value.at, value.time_zone, language);
}

/** An empty value leaves no gap before a comma ("Bonjour {first_name}," for someone without a name). */
const tidy = (text: string) => text.replace(/[ \u00a0]+([,،])/g, "$1");

/** Fills `{name}` placeholders with the data, as plain text. */
export function fillText(template: string, data: MessageData, language: Language): string {
  return tidy(template.replace(PLACEHOLDER, (_, name: string) => formatValue(data[name], language)));
}

/** Fills placeholders in template HTML: every value is escaped, so a name like `<b>x</b>` shows as typed. */
export function fillHtml(template: string, data: MessageData, language: Language): string {
  const filled = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = data[name];
    if (value !== undefined && typeof value !== "string" && typeof value !== "number" && isItems(value)) {
      return `<ul>${value.map((item) => `<li><strong>${escapeHtml(item.title)}</strong> ${escapeHtml(item.body)}</li>`).join("")}</ul>`;
    }
    return escapeHtml(formatValue(value, language)).replace(/\n/g, "<br>");
  });
  return tidy(filled);
}

/** Plain text of template HTML (for the text/plain alternative): paragraphs and breaks kept, tags dropped, entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/(p|div|h[1-6]|li|tr)>/gi, "\n\n")
    .replace(/<li[^>]*>/gi, "• ")
    .replace(/<[^>]+>/g, "")
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: " " })[e]!)
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** A ticket shown in an email: its QR as an inline PNG (`cid:`), the code printed under it, what it admits to. */
export interface EmailTicket {
  content_id: string;
  qr_code: string;
  label: string;
  /** The ticket's wallet links, when the deployment has that wallet. */
  apple_wallet?: string | null;
  google_wallet?: string | null;
}

/** The tickets' PDF: the names of the files attached, or where to fetch it when it was too large to attach. */
export interface EmailDocuments {
  attached: string[];
  pdf_url: string | null;
}

export interface EmailParts {
  subject: string;
  html: string;
  text: string;
}

const EMAIL_STRINGS: Record<Language, { tickets: string; open: string; code: string; attached: string; pdf: string; apple: string; google: string; unsubscribe: string; footer: string }> = {
  fr: {
    tickets: "Vos billets",
    open: "Ouvrir mes billets",
    code: "Code",
    attached: "Vos billets à imprimer sont joints à ce message (PDF) :",
    pdf: "Télécharger mes billets (PDF)",
    apple: "Ajouter à Apple Wallet",
    google: "Ajouter à Google Wallet",
    unsubscribe: "Se désabonner de ces messages",
    footer: "SpotVibe — vous recevez ce message parce que vous avez un compte ou des billets sur SpotVibe.",
  },
  ar: {
    tickets: "تذاكرك",
    open: "افتح تذاكري",
    code: "الرمز",
    attached: "تذاكرك للطباعة مرفقة بهذه الرسالة (PDF):",
    pdf: "تنزيل تذاكري (PDF)",
    apple: "أضف إلى Apple Wallet",
    google: "أضف إلى Google Wallet",
    unsubscribe: "إلغاء الاشتراك في هذه الرسائل",
    footer: "SpotVibe — تصلك هذه الرسالة لأن لديك حسابًا أو تذاكر على SpotVibe.",
  },
  en: {
    tickets: "Your tickets",
    open: "Open my tickets",
    code: "Code",
    attached: "Your printable tickets are attached to this message (PDF):",
    pdf: "Download my tickets (PDF)",
    apple: "Add to Apple Wallet",
    google: "Add to Google Wallet",
    unsubscribe: "Unsubscribe from these messages",
    footer: "SpotVibe — you receive this message because you have an account or tickets on SpotVibe.",
  },
};

/**
 * A whole email: the template's subject and body, the tickets (QR codes
 * inline, wallet links), their PDF (attached, or linked when too large), the
 * link to them, and for marketing an unsubscribe link, in one
 * table-based layout mail clients render alike. Arabic is laid out right to
 * left (`dir="rtl"` on the document and every block). The plain-text
 * alternative says the same.
 */
export function renderEmail(
  content: Pick<TemplateContent, "email_subject" | "email_body_html">,
  data: MessageData,
  language: Language,
  extras: { tickets: EmailTicket[]; tickets_url: string | null; unsubscribe_url: string | null; documents?: EmailDocuments | null },
): EmailParts {
  const strings = EMAIL_STRINGS[language];
  const wallets = (t: EmailTicket) => [
    ...(t.apple_wallet ? [{ label: strings.apple, url: t.apple_wallet }] : []),
    ...(t.google_wallet ? [{ label: strings.google, url: t.google_wallet }] : []),
  ];
  const dir = language === "ar" ? "rtl" : "ltr";
  const align = language === "ar" ? "right" : "left";
  const subject = fillText(content.email_subject, data, language).replace(/[\r\n]+/g, " ").trim();
  const body = fillHtml(content.email_body_html, data, language);
  const textParts = [htmlToText(fillHtml(content.email_body_html, data, language))];

  let tickets = "";
  if (extras.tickets.length > 0) {
    tickets =
      `<h2 style="font-size:18px;margin:24px 0 8px">${escapeHtml(strings.tickets)}</h2>` +
      extras.tickets
        .map(
          (t) =>
            `<table role="presentation" dir="${dir}" style="margin:12px 0;border:1px solid #ddd;border-radius:8px" cellpadding="12"><tr>` +
            `<td><img src="cid:${t.content_id}" width="180" height="180" alt="QR ${escapeHtml(t.qr_code)}" style="display:block"></td>` +
            `<td style="text-align:${align}"><strong>${escapeHtml(t.label)}</strong><br>${escapeHtml(strings.code)} : <code style="font-size:16px">${escapeHtml(t.qr_code)}</code>` +
            wallets(t).map((w) => `<br><a href="${escapeHtml(w.url)}">${escapeHtml(w.label)}</a>`).join("") +
            `</td></tr></table>`,
        )
        .join("");
    textParts.push(
      `${strings.tickets}:\n${extras.tickets.map((t) => [`• ${t.label} — ${strings.code} ${t.qr_code}`, ...wallets(t).map((w) => `  ${w.label}: ${w.url}`)].join("\n")).join("\n")}`,
    );
  }
  let documents = "";
  if (extras.documents?.attached.length) {
    documents = `<p>${escapeHtml(strings.attached)} ${extras.documents.attached.map((name) => `<strong>${escapeHtml(name)}</strong>`).join(", ")}</p>`;
    textParts.push(`${strings.attached} ${extras.documents.attached.join(", ")}`);
  } else if (extras.documents?.pdf_url) {
    documents = `<p><a href="${escapeHtml(extras.documents.pdf_url)}">${escapeHtml(strings.pdf)}</a></p>`;
    textParts.push(`${strings.pdf}: ${extras.documents.pdf_url}`);
  }
  let link = "";
  if (extras.tickets_url) {
    link = `<p style="margin:24px 0"><a href="${escapeHtml(extras.tickets_url)}" style="background:#1b5e20;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none">${escapeHtml(strings.open)}</a></p>`;
    textParts.push(`${strings.open}: ${extras.tickets_url}`);
  }
  let unsubscribe = "";
  if (extras.unsubscribe_url) {
    unsubscribe = `<br><a href="${escapeHtml(extras.unsubscribe_url)}" style="color:#666">${escapeHtml(strings.unsubscribe)}</a>`;
    textParts.push(`${strings.unsubscribe}: ${extras.unsubscribe_url}`);
  }
  textParts.push(strings.footer);

  const html =
    `<!doctype html><html lang="${language}" dir="${dir}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>` +
    `<body dir="${dir}" style="margin:0;background:#f4f4f4;font-family:Arial,Helvetica,sans-serif;color:#222">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" dir="${dir}"><tr><td align="center" style="padding:24px">` +
    `<table role="presentation" width="600" cellpadding="24" cellspacing="0" dir="${dir}" style="background:#fff;border-radius:8px;text-align:${align}"><tr><td dir="${dir}" style="text-align:${align}">` +
    `<div style="font-size:20px;font-weight:bold;color:#1b5e20;margin-bottom:16px">SpotVibe</div>` +
    body +
    tickets +
    documents +
    link +
    `<p style="font-size:12px;color:#666;margin-top:32px">${escapeHtml(strings.footer)}${unsubscribe}</p>` +
    `</td></tr></table></td></tr></table></body></html>`;
  return { subject, html, text: textParts.join("\n\n") };
}
