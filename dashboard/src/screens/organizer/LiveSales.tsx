import { useEffect } from "react";
import { api, call } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { BarChart } from "../../ui/charts.tsx";
import { Badge, DataTable, ErrorNotice, Loading, Page, Section, useLoad } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

/** How often the counters are read again from the event's Durable Object. */
const REFRESH_MS = 5_000;

/** Live sales: the EventDO's counters per ticket configuration (sold, held, left), refreshed every few seconds. */
export default function LiveSales({ params }: ScreenProps) {
  const { t, number, money, dateTime } = useI18n();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const live = useLoad(() => call(() => api.GET("/v1/events/{event_id}/availability", { params: { path: { event_id: eventId } } })), [eventId]);
  useEffect(() => {
    const timer = setInterval(live.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [live.reload]);
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  const configs = live.data?.configs ?? [];
  const sold = configs.reduce((sum, c) => sum + c.sold, 0);
  const held = configs.reduce((sum, c) => sum + c.held, 0);
  const left = configs.reduce((sum, c) => sum + c.available, 0);
  return (
    <Page title={t("sales.title", { title: event.data.title })} lead={t("sales.lead")}>
      <EventTabs eventId={eventId} />
      <ErrorNotice error={live.error} />
      <dl className="stats" aria-live="polite">
        <div className="stat">
          <dt>{t("sales.sold")}</dt>
          <dd data-testid="sold-total">{number(sold)}</dd>
        </div>
        <div className="stat">
          <dt>{t("sales.held")}</dt>
          <dd>{number(held)}</dd>
        </div>
        <div className="stat">
          <dt>{t("sales.available")}</dt>
          <dd>{number(left)}</dd>
        </div>
      </dl>
      <Section title={t("sales.byType")}>
        <BarChart label={t("sales.byType")} data={configs.map((c) => ({ label: c.ticket_type_code, value: c.sold }))} format={number} />
      </Section>
      <DataTable
        caption={t("sales.byType")}
        rows={configs}
        rowKey={(c) => c.id}
        columns={[
          { header: t("tickets.type"), cell: (c) => c.ticket_type_code },
          { header: t("common.price"), numeric: true, cell: (c) => money(c.price, c.currency) },
          { header: t("sales.sold"), numeric: true, cell: (c) => number(c.sold) },
          { header: t("sales.held"), numeric: true, cell: (c) => number(c.held) },
          { header: t("sales.available"), numeric: true, cell: (c) => number(c.available) },
          { header: t("common.status"), cell: (c) => (c.on_sale ? <Badge tone="ok">{t("tickets.onSale")}</Badge> : <Badge>{t("tickets.off")}</Badge>) },
        ]}
      />
      <p className="field-hint">{t("sales.updated", { date: dateTime(new Date().toISOString()) })}</p>
    </Page>
  );
}
