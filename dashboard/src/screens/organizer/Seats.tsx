import { useState } from "react";
import { api, call } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n, type MessageKey } from "../../i18n/index.tsx";
import { ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

const STATUSES = ["AVAILABLE", "HELD", "SOLD", "BLOCKED", "KILLED", "PASS"] as const;
type Status = (typeof STATUSES)[number];
/** A seat of the geometry document, by its `columns`. */
interface Seat {
  id: string;
  zone: number;
  label: string;
  x: number;
  y: number;
}

const SPACING = 24;

/**
 * The event's seat map: one zone's seats drawn where the venue's geometry
 * puts them, coloured by their status for this event (live from its
 * Durable Object); staff pick seats and block, kill or release them.
 */
export default function Seats({ params }: ScreenProps) {
  const { t } = useI18n();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const venueId = event.data?.venue_id;
  const map = useLoad(() => (venueId ? call(() => api.GET("/v1/venues/{venue_id}/seat-map", { params: { path: { venue_id: venueId } } })) : Promise.resolve(null)), [venueId]);
  const status = useLoad(() => call(() => api.GET("/v1/events/{event_id}/seats", { params: { path: { event_id: eventId }, query: {} } })), [eventId]);
  const [zone, setZone] = useState<number | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (event.error || map.error || status.error) return <ErrorNotice error={event.error ?? map.error ?? status.error} />;
  if (!event.data || map.loading || !status.data) return <Loading />;

  const seats: Seat[] = (map.data?.seats ?? []).map((row) => ({
    id: String(row[0]),
    zone: Number(row[1]),
    label: `${row[2]} ${row[3]}-${row[4]}`,
    x: Number(row[5]),
    y: Number(row[6]),
  }));
  const zones = (map.data?.zones ?? []).map((z, i) => ({ ...z, index: i })).filter((z) => seats.some((s) => s.zone === z.index));
  const shown = zone ?? zones[0]?.index ?? null;
  const statusOf = new Map<string, Status>(status.data.seats.map((pair) => [String(pair[0]), pair[1] as Status]));
  const inZone = seats.filter((s) => s.zone === shown);
  const minX = Math.min(...inZone.map((s) => s.x));
  const minY = Math.min(...inZone.map((s) => s.y));
  const width = (Math.max(...inZone.map((s) => s.x)) - minX + 2) * SPACING;
  const height = (Math.max(...inZone.map((s) => s.y)) - minY + 2) * SPACING;
  const counts = new Map<Status, number>();
  for (const s of inZone) counts.set(statusOf.get(s.id) ?? "AVAILABLE", (counts.get(statusOf.get(s.id) ?? "AVAILABLE") ?? 0) + 1);

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const apply = (to: "BLOCKED" | "KILLED" | "AVAILABLE") =>
    void action.run(async () => {
      const result = await call(() => api.POST("/v1/events/{event_id}/seats/status", { params: { path: { event_id: eventId } }, body: { seat_ids: [...selected], status: to } }));
      setSelected(new Set());
      status.reload();
      announce(t("seats.changed", { count: String(result.changed) }));
    });

  return (
    <Page title={t("seats.title", { title: event.data.title })}>
      <EventTabs eventId={eventId} />
      {announcement}
      {zones.length === 0 ? (
        <p>{t("seats.none")}</p>
      ) : (
        <Section
          title={t("seats.map")}
          actions={
            <label>
              {t("seats.zone")}{" "}
              <select value={shown ?? ""} onChange={(e) => (setZone(Number(e.target.value)), setSelected(new Set()))}>
                {zones.map((z) => (
                  <option key={z.id} value={z.index}>
                    {z.name}
                  </option>
                ))}
              </select>
            </label>
          }
        >
          <ul className="seat-legend" aria-label={t("seats.legend")}>
            {STATUSES.map((s) => (
              <li key={s} className={`seat-${s.toLowerCase()}`}>
                {t(`seatStatus.${s}` as MessageKey)}: {counts.get(s) ?? 0}
              </li>
            ))}
          </ul>
          <svg className="seat-map" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="group" aria-label={t("seats.map")}>
            {inZone.map((seat) => {
              const s = statusOf.get(seat.id) ?? "AVAILABLE";
              const picked = selected.has(seat.id);
              return (
                <circle
                  key={seat.id}
                  data-seat={seat.label}
                  data-status={s}
                  className={`seat seat-${s.toLowerCase()}${picked ? " seat-picked" : ""}`}
                  cx={(seat.x - minX + 1) * SPACING}
                  cy={(seat.y - minY + 1) * SPACING}
                  r={SPACING / 2.6}
                  role="checkbox"
                  aria-checked={picked}
                  aria-label={`${seat.label}: ${t(`seatStatus.${s}` as MessageKey)}`}
                  tabIndex={0}
                  onClick={() => toggle(seat.id)}
                  onKeyDown={(e) => {
                    if (e.key === " " || e.key === "Enter") {
                      e.preventDefault();
                      toggle(seat.id);
                    }
                  }}
                />
              );
            })}
          </svg>
          <p>{t("seats.selected", { count: String(selected.size) })}</p>
          <div className="actions">
            <button type="button" disabled={action.busy || selected.size === 0} onClick={() => apply("BLOCKED")}>
              {t("seats.block")}
            </button>
            <button type="button" disabled={action.busy || selected.size === 0} onClick={() => apply("AVAILABLE")}>
              {t("seats.release")}
            </button>
            <button type="button" className="danger" disabled={action.busy || selected.size === 0} onClick={() => apply("KILLED")}>
              {t("seats.kill")}
            </button>
          </div>
          <ErrorNotice error={action.error} />
        </Section>
      )}
    </Page>
  );
}
