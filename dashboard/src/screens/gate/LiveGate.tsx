import { useEffect, useMemo, useRef, useState } from "react";
import type { ActivityMessage, Occupancy } from "../../../../durable-objects/event/gate-protocol.ts";
import { api, call, socketUrl } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { freshAccessToken } from "../../auth/tokens.ts";
import { useI18n } from "../../i18n/index.tsx";
import { Badge, DataTable, ErrorNotice, Loading, Page, Section, useLoad } from "../../ui/kit.tsx";
import { DoorDesk } from "./Door.tsx";

type Activity = ActivityMessage["scans"][number] & { at: string };
type Connection = "connecting" | "live" | "offline";

/** The subprotocol the gate socket answers; the token rides beside it (browsers cannot set headers on a WebSocket). */
const GATE_SUBPROTOCOL = "edge-events.gate.v2";

/**
 * The observer feed of the event's gates: zone occupancy pushed by the
 * EventDO as scans move people, and every scan decided at any gate. Reconnects
 * with backoff; the counts since opening are kept per gate.
 */
function useGateFeed(eventId: string) {
  const [zones, setZones] = useState<Occupancy["zones"]>([]);
  const [activity, setActivity] = useState<Activity[]>([]);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  const closed = useRef(false);
  useEffect(() => {
    closed.current = false;
    let socket: WebSocket | null = null;
    let retry = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      setConnection("connecting");
      const token = await freshAccessToken();
      if (closed.current) return;
      socket = new WebSocket(socketUrl(`/v1/events/${encodeURIComponent(eventId)}/gate?observe=true`), [GATE_SUBPROTOCOL, `bearer.${token ?? ""}`]);
      socket.onopen = () => {
        retry = 0;
        setConnection("live");
      };
      socket.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as { type: string };
        if (data.type === "occupancy") {
          const occupancy = data as Occupancy;
          setZones(occupancy.zones);
          setUpdatedAt(occupancy.at);
        } else if (data.type === "activity") {
          const feed = data as ActivityMessage;
          setActivity((current) => [...feed.scans.map((scan) => ({ ...scan, at: feed.at })).reverse(), ...current].slice(0, 500));
        }
      };
      socket.onclose = () => {
        if (closed.current) return;
        setConnection("offline");
        retry = Math.min(retry + 1, 6);
        timer = setTimeout(() => void connect(), 500 * 2 ** retry);
      };
    };
    void connect();
    // Keeps the socket from idling out behind proxies.
    const ping = setInterval(() => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ type: "ping" })), 30_000);
    return () => {
      closed.current = true;
      clearTimeout(timer);
      clearInterval(ping);
      socket?.close(1000);
    };
  }, [eventId]);
  return { zones, activity, connection, updatedAt };
}

export default function LiveGate({ params }: ScreenProps) {
  const { t, number, dateTime } = useI18n();
  const eventId = params.event_id!;
  const event = useLoad(() => call(() => api.GET("/v1/events/{event_id}", { params: { path: { event_id: eventId } } })), [eventId]);
  const venueId = event.data?.venue_id;
  const gates = useLoad(
    () => (venueId ? call(() => api.GET("/v1/venues/{venue_id}/access-points", { params: { path: { venue_id: venueId }, query: { limit: 100 } } })) : Promise.resolve({ data: [], next_cursor: null })),
    [venueId],
  );
  const feed = useGateFeed(eventId);
  const gateName = useMemo(() => new Map((gates.data?.data ?? []).map((g) => [g.id, g.name])), [gates.data]);
  const zoneName = useMemo(() => new Map(feed.zones.map((z) => [z.id, z.name])), [feed.zones]);
  const perGate = useMemo(() => {
    const counts = new Map<string, { admitted: number; exits: number; denied: number }>();
    for (const scan of feed.activity) {
      const entry = counts.get(scan.access_point_id) ?? { admitted: 0, exits: 0, denied: 0 };
      if (scan.status === "DENIED" || scan.status === "ERROR") entry.denied++;
      else if (scan.action === "EXIT") entry.exits++;
      else if (scan.action !== "CHECK") entry.admitted++;
      counts.set(scan.access_point_id, entry);
    }
    return counts;
  }, [feed.activity]);
  const denials = feed.activity.filter((scan) => scan.status === "DENIED");
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  const inside = feed.zones.reduce((sum, z) => sum + z.occupancy, 0);
  const capacity = feed.zones.reduce((sum, z) => sum + z.capacity, 0);
  const allGates = [...new Set([...(gates.data?.data ?? []).map((g) => g.id), ...perGate.keys()])];
  return (
    <Page
      title={t("gate.title", { title: event.data.title })}
      actions={
        <Badge tone={feed.connection === "live" ? "ok" : feed.connection === "offline" ? "bad" : "warn"}>
          <span data-testid="feed-state">{t(`gate.${feed.connection}`)}</span>
        </Badge>
      }
    >
      <dl className="stats">
        <div className="stat">
          <dt>{t("gate.inside")}</dt>
          <dd data-testid="inside-total">{number(inside)}</dd>
        </div>
        <div className="stat">
          <dt>{t("common.capacity")}</dt>
          <dd>{number(capacity)}</dd>
        </div>
        <div className="stat">
          <dt>{t("gate.denials")}</dt>
          <dd>{number(denials.length)}</dd>
        </div>
      </dl>
      <p className="field-hint">{t("gate.updated", { date: dateTime(feed.updatedAt) })}</p>
      <DoorDesk eventId={eventId} gates={gates.data?.data ?? []} />
      <div className="split">
        <Section title={t("gate.zones")}>
          <ul className="feed" aria-live="polite">
            {feed.zones.map((zone) => {
              const share = zone.capacity ? Math.min(1, zone.occupancy / zone.capacity) : 0;
              return (
                <li key={zone.id} data-testid={`zone-${zone.id}`}>
                  <strong>{zone.name}</strong> — <span className="zone-count">{number(zone.occupancy)}</span> / {number(zone.capacity)}
                  <div className={`meter${share >= 1 ? " full" : ""}`} role="meter" aria-valuemin={0} aria-valuemax={zone.capacity} aria-valuenow={zone.occupancy} aria-label={zone.name}>
                    <span style={{ width: `${share * 100}%` }} />
                  </div>
                </li>
              );
            })}
          </ul>
        </Section>
        <Section title={t("gate.denialsLive")}>
          <ul className="feed" aria-live="assertive" data-testid="denials">
            {denials.length === 0 && <li>{t("gate.noDenials")}</li>}
            {denials.slice(0, 100).map((scan) => (
              <li key={scan.id}>
                <Badge tone="bad">{t(`denial.${scan.denial_reason ?? "TECHNICAL_ERROR"}`)}</Badge> {gateName.get(scan.access_point_id) ?? scan.access_point_id.slice(0, 8)} — {dateTime(scan.at)}
              </li>
            ))}
          </ul>
        </Section>
      </div>
      <Section title={t("gate.perGate")}>
        <DataTable
          caption={t("gate.perGate")}
          rows={allGates}
          rowKey={(id) => id}
          columns={[
            { header: t("gate.gate"), cell: (id) => gateName.get(id) ?? id.slice(0, 8) },
            { header: t("gate.admitted"), numeric: true, cell: (id) => number(perGate.get(id)?.admitted ?? 0) },
            { header: t("gate.exits"), numeric: true, cell: (id) => number(perGate.get(id)?.exits ?? 0) },
            { header: t("gate.denials"), numeric: true, cell: (id) => number(perGate.get(id)?.denied ?? 0) },
          ]}
        />
        <p className="field-hint">{t("gate.sinceOpened")}</p>
      </Section>
      <Section title={t("gate.recent")}>
        <ul className="feed">
          {feed.activity.slice(0, 50).map((scan) => (
            <li key={scan.id}>
              <Badge tone={scan.status === "SUCCESS" ? "ok" : scan.status === "WARNING" ? "warn" : "bad"}>{t(`status.${scan.status}`)}</Badge> {t(`action.${scan.action}`)} —{" "}
              {gateName.get(scan.access_point_id) ?? scan.access_point_id.slice(0, 8)}
              {scan.zone_id ? ` → ${zoneName.get(scan.zone_id) ?? ""}` : ""} — {dateTime(scan.at)}
            </li>
          ))}
        </ul>
      </Section>
    </Page>
  );
}
