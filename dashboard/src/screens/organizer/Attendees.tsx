import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useRoles } from "../../app/access.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { ACCESS_RIGHT_STATUSES } from "../../ui/enums.ts";
import { Form, TextArea, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Loading, Page, StatusBadge, useAction, useAnnouncer, useLoad, usePaged } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";
import { ExportButton, SearchBox } from "./lists.tsx";

type Attendee = Schemas["BackofficeAttendee"];

/**
 * Everyone let in by a right of the event (tickets, passes, grants,
 * transfers): found by name, phone, email, printed code or reference,
 * filtered by status and check-in; each one's history, their tickets sent
 * again, a right blocked or unblocked with a reason; the list as CSV.
 */
export default function Attendees({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const roles = useRoles();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const { search } = useLocation();
  const q = search.get("q") ?? "";
  const status = (search.get("status") ?? "") as (typeof ACCESS_RIGHT_STATUSES)[number] | "";
  const checkedIn = (search.get("checked_in") ?? "") as "true" | "false" | "";
  const query = { q: q || undefined, status: status || undefined, checked_in: checkedIn || undefined };
  const list = usePaged((cursor) => call(() => api.GET("/v1/events/{event_id}/attendees", { params: { path: { event_id: eventId }, query: { ...query, cursor, limit: 50 } } })), [eventId, q, status, checkedIn]);
  const [history, setHistory] = useState<Attendee | null>(null);
  const [blocking, setBlocking] = useState<Attendee | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <Loading />;

  return (
    <Page title={t("attendees.title", { title: event.data.title })} actions={roles.reports && <ExportButton eventId={eventId} list="attendees" query={query} />}>
      <EventTabs eventId={eventId} />
      {announcement}
      <div className="toolbar">
        <SearchBox value={q} label={t("attendees.search")} hint={t("lists.searchHint")} />
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(e) => setSearch({ status: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {ACCESS_RIGHT_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("attendees.checkedIn")}</span>
          <select value={checkedIn} onChange={(e) => setSearch({ checked_in: e.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            <option value="true">{t("common.yes")}</option>
            <option value="false">{t("common.no")}</option>
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("attendees.title", { title: event.data.title })}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        empty={q ? t("lists.noMatch", { q }) : undefined}
        columns={[
          {
            header: t("attendees.holder"),
            cell: (row) => (
              <>
                <strong>{row.holder_name}</strong>
                <br />
                <span className="muted">{[row.holder_email, row.holder_phone].filter(Boolean).join(" · ")}</span>
              </>
            ),
          },
          { header: t("attendees.code"), cell: (row) => <code>{row.qr_code}</code> },
          { header: t("tickets.type"), cell: (row) => row.ticket_type_name ?? t(`source.${row.source_type}`) },
          { header: t("attendees.place"), cell: (row) => [row.zone_name, row.seat].filter(Boolean).join(" · ") || "—" },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          { header: t("attendees.checkedIn"), cell: (row) => (row.checked_in_at ? dateTime(row.checked_in_at, event.data?.timezone) : t("common.no")) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <div className="row-actions">
                <button type="button" className="small" onClick={() => setHistory(row)}>
                  {t("attendees.history")}
                </button>
                {roles.resend && (row.status === "ENABLED" || row.status === "USED") && (
                  <button
                    type="button"
                    className="small"
                    disabled={action.busy}
                    onClick={() =>
                      void action.run(async () => {
                        const sent = await call(() => api.POST("/v1/events/{event_id}/access-rights/{access_right_id}/resend", { params: { path: { event_id: eventId, access_right_id: row.id } } }));
                        announce(t("attendees.resent", { name: row.holder_name, count: sent.rights }));
                      })
                    }
                  >
                    {t("attendees.resend")}
                  </button>
                )}
                {roles.block && (row.status === "ENABLED" || row.status === "USED" || row.status === "BLOCKED") && (
                  <button type="button" className={`small${row.status === "BLOCKED" ? "" : " danger"}`} onClick={() => setBlocking(row)}>
                    {row.status === "BLOCKED" ? t("attendees.unblock") : t("attendees.block")}
                  </button>
                )}
              </div>
            ),
          },
        ]}
      />
      <Dialog open={history !== null} onClose={() => setHistory(null)} title={t("attendees.historyOf", { name: history?.holder_name ?? "" })}>
        {history && <History eventId={eventId} right={history} timeZone={event.data.timezone} />}
      </Dialog>
      <Dialog open={blocking !== null} onClose={() => setBlocking(null)} title={blocking?.status === "BLOCKED" ? t("attendees.unblockTitle", { name: blocking.holder_name }) : t("attendees.blockTitle", { name: blocking?.holder_name ?? "" })}>
        {blocking && (
          <BlockForm
            eventId={eventId}
            right={blocking}
            onDone={(message) => {
              setBlocking(null);
              announce(message);
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}

function BlockForm({ eventId, right, onDone }: { eventId: string; right: Attendee; onDone: (message: string) => void }) {
  const { t } = useI18n();
  const form = useForm({ reason: "" });
  const unblock = right.status === "BLOCKED";
  return (
    <Form
      form={form}
      submitLabel={unblock ? t("attendees.unblock") : t("attendees.block")}
      onSubmit={async (v) => {
        const path = { event_id: eventId, access_right_id: right.id };
        const body = { reason: String(v.reason) };
        if (unblock) await call(() => api.POST("/v1/events/{event_id}/access-rights/{access_right_id}/unblock", { params: { path }, body }));
        else await call(() => api.POST("/v1/events/{event_id}/access-rights/{access_right_id}/block", { params: { path }, body }));
        onDone(unblock ? t("attendees.unblocked", { name: right.holder_name }) : t("attendees.blocked", { name: right.holder_name }));
      }}
    >
      <TextArea form={form} name="reason" label={t("common.reason")} hint={t("attendees.reasonHint")} required />
    </Form>
  );
}

function History({ eventId, right, timeZone }: { eventId: string; right: Attendee; timeZone: string }) {
  const { t, dateTime } = useI18n();
  const history = useLoad(() => call(() => api.GET("/v1/events/{event_id}/access-rights/{access_right_id}/history", { params: { path: { event_id: eventId, access_right_id: right.id } } })), [eventId, right.id]);
  if (history.error) return <ErrorNotice error={history.error} />;
  if (!history.data) return <Loading />;
  return (
    <>
      <h3>{t("attendees.journal")}</h3>
      <DataTable
        caption={t("attendees.journal")}
        rows={history.data.transactions}
        rowKey={(row) => row.id}
        columns={[
          { header: t("common.date"), cell: (row) => dateTime(row.created_at, timeZone) },
          { header: t("common.type"), cell: (row) => row.transaction_type },
          { header: t("common.reason"), cell: (row) => row.reason ?? "—" },
        ]}
      />
      <h3>{t("attendees.scans")}</h3>
      <DataTable
        caption={t("attendees.scans")}
        rows={history.data.scans}
        rowKey={(row) => row.id}
        empty={t("attendees.noScans")}
        columns={[
          { header: t("common.date"), cell: (row) => dateTime(row.timestamp, timeZone) },
          { header: t("attendees.gate"), cell: (row) => row.access_point_name ?? "—" },
          { header: t("common.type"), cell: (row) => row.action },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          { header: t("common.reason"), cell: (row) => row.denial_reason ?? row.reason ?? "—" },
        ]}
      />
    </>
  );
}
