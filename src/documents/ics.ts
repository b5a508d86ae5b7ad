import type { EventFacts } from "./facts.ts";

/**
 * An event as an iCalendar file (RFC 5545): one VEVENT, times in UTC (the
 * calendar shows them in the reader's zone), text escaped and lines folded
 * at 75 octets, CRLF line ends.
 */

// Any line break (CRLF, a bare CR or LF) becomes the TEXT escape `\n`, and other control characters go (RFC 5545 3.3.11):
// a title's bare CR would otherwise end the line for readers that split on it, and start a property of the title's choosing.
const escapeText = (value: string) =>
  value
    .replace(/\\/g, "\\\\")
    .replace(/;/g, "\\;")
    .replace(/,/g, "\\,")
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "");

/** 2026-12-05T19:00:00.000Z → 20261205T190000Z */
const utc = (iso: string) => iso.replace(/[-:]/g, "").replace(/\.\d+/, "").replace(/(\d{8}T\d{6}).*/, "$1Z");

/** Folds a content line at 75 octets without splitting a UTF-8 sequence (RFC 5545 §3.1). */
function fold(line: string): string {
  const encoder = new TextEncoder();
  const out: string[] = [];
  let current = "";
  let octets = 0;
  for (const ch of line) {
    const size = encoder.encode(ch).length;
    const limit = out.length === 0 ? 75 : 74; // continuation lines start with a space
    if (octets + size > limit) {
      out.push(current);
      current = "";
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join("\r\n ");
}

export function renderIcs(event: EventFacts, options: { url: string; now: string }): string {
  const location = [event.venue_name, event.address, event.city].filter(Boolean).join(", ");
  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//edge-events//tickets//FR",
    "CALSCALE:GREGORIAN",
    "METHOD:PUBLISH",
    "BEGIN:VEVENT",
    `UID:${event.id}@edge-events`,
    `DTSTAMP:${utc(options.now)}`,
    `DTSTART:${utc(event.starts_at)}`,
    `DTEND:${utc(event.ends_at)}`,
    `SUMMARY:${escapeText(event.title)}`,
    ...(location ? [`LOCATION:${escapeText(location)}`] : []),
    ...(event.latitude !== null && event.longitude !== null ? [`GEO:${event.latitude};${event.longitude}`] : []),
    ...(event.description ? [`DESCRIPTION:${escapeText(event.description)}`] : []),
    `URL:${options.url}`,
    `STATUS:${event.status === "CANCELLED" ? "CANCELLED" : "CONFIRMED"}`,
    `ORGANIZER;CN="${event.organizer.name.replace(/"/g, "'")}":mailto:${event.organizer.email}`,
    ...(event.doors_open_at ? ["BEGIN:VALARM", "ACTION:DISPLAY", `DESCRIPTION:${escapeText(event.title)}`, `TRIGGER;VALUE=DATE-TIME:${utc(event.doors_open_at)}`, "END:VALARM"] : []),
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}
