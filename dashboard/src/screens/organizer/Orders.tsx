import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { Link, setSearch, useLocation } from "../../app/router.tsx";
import { useRoles } from "../../app/access.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { BOOKING_STATUSES, PURCHASE_CHANNELS, REFUND_STATUSES } from "../../ui/enums.ts";
import { DataTable, Dialog, ErrorNotice, Loading, Page, Section, StatusBadge, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";
import { completeRefund, DecideRefund } from "../refunds.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";
import { ExportButton, SearchBox } from "./lists.tsx";

type Refund = Schemas["BackofficeRefund"];

/**
 * The event's orders, found by buyer, reference or printed code and
 * filtered by status and channel (amounts only for money.read); an order's
 * tickets open in the attendees list, where they are sent again. Below, for
 * OWNER and FINANCE, the refund requests on the event's payments, decided here.
 */
export default function Orders({ params }: ScreenProps) {
  const { t, money, dateTime, number } = useI18n();
  const roles = useRoles();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const { search } = useLocation();
  const q = search.get("q") ?? "";
  const status = (search.get("status") ?? "") as (typeof BOOKING_STATUSES)[number] | "";
  const channel = (search.get("channel") ?? "") as (typeof PURCHASE_CHANNELS)[number] | "";
  const query = { q: q || undefined, status: status || undefined, channel: channel || undefined };
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/orders", { params: { path: { event_id: eventId }, query: { ...query, cursor, limit: 50 } } })), [eventId, q, status, channel]);
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;
  const timeZone = event.data.timezone;

  return (
    <Page title={t("orders.title", { title: event.data.title })} actions={roles.reports && <ExportButton eventId={eventId} list="orders" query={query} />}>
      <EventTabs eventId={eventId} />
      <div className="toolbar">
        <SearchBox value={q} label={t("orders.search")} hint={t("lists.searchHint")} />
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(e) => setSearch({ status: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {BOOKING_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("orders.channel")}</span>
          <select value={channel} onChange={(e) => setSearch({ channel: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {PURCHASE_CHANNELS.map((value) => (
              <option key={value} value={value}>
                {t(`channel.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("orders.title", { title: event.data.title })}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        empty={q ? t("lists.noMatch", { q }) : undefined}
        columns={[
          { header: t("orders.number"), cell: (row) => <code>{row.ticket_number}</code> },
          {
            header: t("orders.buyer"),
            cell: (row) => (
              <>
                {row.buyer_name ?? t("orders.guest")}
                <br />
                <span className="muted">{[row.buyer_email, row.buyer_phone].filter(Boolean).join(" · ")}</span>
              </>
            ),
          },
          { header: t("tickets.type"), cell: (row) => row.ticket_type_name ?? "—" },
          { header: t("common.quantity"), numeric: true, cell: (row) => number(row.quantity) },
          { header: t("common.amount"), numeric: true, cell: (row) => (row.total_price === null ? "—" : money(row.total_price, row.currency)) },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.booking_status} /> },
          { header: t("orders.payment"), cell: (row) => <StatusBadge value={row.payment_status} /> },
          { header: t("orders.channel"), cell: (row) => t(`channel.${row.channel}`) },
          { header: t("common.created"), cell: (row) => dateTime(row.created_at, timeZone) },
          {
            header: t("common.actions"),
            cell: (row) =>
              row.booking_status === "CONFIRMED" || row.booking_status === "COMPLETED" ? (
                <Link to={`/organizer/events/${eventId}/attendees?q=${encodeURIComponent(row.ticket_number)}`}>{t("orders.tickets")}</Link>
              ) : null,
          },
        ]}
      />
      {roles.money && <EventRefunds eventId={eventId} timeZone={timeZone} />}
    </Page>
  );
}

function EventRefunds({ eventId, timeZone }: { eventId: string; timeZone: string }) {
  const { t, money, dateTime } = useI18n();
  const [status, setStatus] = useState<(typeof REFUND_STATUSES)[number] | "">("");
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/refunds", { params: { path: { event_id: eventId }, query: { status: status || undefined, cursor, limit: 50 } } })), [eventId, status]);
  const [open, setOpen] = useState<Refund | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  const done = (text: string) => {
    setOpen(null);
    announce(text);
    list.reload();
  };
  return (
    <Section
      title={t("orders.refunds")}
      actions={
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="">{t("common.all")}</option>
            {REFUND_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      }
    >
      {announcement}
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("orders.refunds")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("refunds.requestedAt"), cell: (row) => dateTime(row.requested_at, timeZone) },
          { header: t("orders.requester"), cell: (row) => row.requester_name ?? "—" },
          { header: t("common.amount"), numeric: true, cell: (row) => (row.amount === null ? "—" : money(row.amount, row.currency)) },
          { header: t("common.reason"), cell: (row) => t(`refundReason.${row.reason}`) },
          { header: t("common.description"), cell: (row) => row.description ?? "—" },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          {
            header: t("common.actions"),
            cell: (row) =>
              row.status === "REQUESTED" ? (
                <button type="button" className="small" onClick={() => setOpen(row)}>
                  {t("refunds.decide")}
                </button>
              ) : row.status === "APPROVED" || row.status === "PROCESSING" ? (
                <button
                  type="button"
                  className="small"
                  disabled={action.busy}
                  onClick={() =>
                    void action.run(async () => {
                      await completeRefund(row.id);
                      done(t("refunds.completed"));
                    })
                  }
                >
                  {t("refunds.complete")}
                </button>
              ) : (
                (row.admin_comment ?? "")
              ),
          },
        ]}
      />
      <Dialog open={open !== null} onClose={() => setOpen(null)} title={t("refunds.decide")}>
        {open && open.amount !== null && <DecideRefund refund={{ id: open.id, amount: open.amount, currency: open.currency }} onDone={done} />}
      </Dialog>
    </Section>
  );
}
