import { api, call } from "../../api/client.ts";
import { Link, useLocation } from "../../app/router.tsx";
import { useAccess } from "../../app/access.tsx";
import { useI18n, type MessageKey } from "../../i18n/index.tsx";
import { useLoad } from "../../ui/kit.tsx";

const TABS: { suffix: string; label: MessageKey }[] = [
  { suffix: "", label: "eventTabs.overview" },
  { suffix: "/tickets", label: "eventTabs.tickets" },
  { suffix: "/sales", label: "eventTabs.sales" },
  { suffix: "/box-office", label: "eventTabs.boxOffice" },
  { suffix: "/orders", label: "eventTabs.orders" },
  { suffix: "/attendees", label: "eventTabs.attendees" },
  { suffix: "/reports", label: "eventTabs.reports" },
  { suffix: "/staff", label: "eventTabs.staff" },
  { suffix: "/grants", label: "eventTabs.grants" },
  { suffix: "/overrides", label: "eventTabs.overrides" },
  { suffix: "/seats", label: "eventTabs.seats" },
];

/** The event's title and the tabs of its screens; the gate view opens from here. */
export function EventTabs({ eventId }: { eventId: string }) {
  const { t } = useI18n();
  const { path } = useLocation();
  const allowed = useAccess();
  const base = `/organizer/events/${eventId}`;
  return (
    <nav className="tabs" aria-label={t("eventTabs.label")}>
      {TABS.filter((tab) => allowed(base + tab.suffix)).map((tab) => (
        <Link key={tab.suffix} to={base + tab.suffix} aria-current={path === base + tab.suffix ? "page" : undefined}>
          {t(tab.label)}
        </Link>
      ))}
      {allowed(`/gate/${eventId}`) && <Link to={`/gate/${eventId}`}>{t("eventTabs.gate")}</Link>}
    </nav>
  );
}

/** The event a sub-screen belongs to (as its organizer sees it). */
export function useEvent(eventId: string) {
  return useLoad(() => call(() => api.GET("/v1/events/{event_id}", { params: { path: { event_id: eventId } } })), [eventId]);
}
