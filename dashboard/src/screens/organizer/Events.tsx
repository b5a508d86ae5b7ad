import { api, call } from "../../api/client.ts";
import { Link, setSearch, useLocation } from "../../app/router.tsx";
import { useAccess } from "../../app/access.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { EVENT_STATUSES } from "../../ui/enums.ts";
import { DataTable, ErrorNotice, Page, StatusBadge, usePaged } from "../../ui/kit.tsx";

export default function Events() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const allowed = useAccess();
  const status = (search.get("status") ?? "") as (typeof EVENT_STATUSES)[number] | "";
  const list = usePaged((cursor) => call(() => api.GET("/v1/me/events", { params: { query: { status: status || undefined, cursor, limit: 50 } } })), [status]);
  return (
    <Page
      title={t("events.title")}
      actions={
        allowed("/organizer/events/new") && (
          <Link className="button primary" to="/organizer/events/new">
            {t("events.new")}
          </Link>
        )
      }
    >
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {EVENT_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("events.title")}
        rows={list.rows}
        rowKey={(event) => event.id}
        paged={list}
        columns={[
          { header: t("event.title"), cell: (event) => <Link to={`/organizer/events/${event.id}`}>{event.title}</Link> },
          { header: t("event.startsAt"), cell: (event) => dateTime(event.starts_at, event.timezone) },
          { header: t("event.venue"), cell: (event) => event.venue_name },
          { header: t("common.status"), cell: (event) => <StatusBadge value={event.status} /> },
          {
            header: t("common.actions"),
            cell: (event) => (
              <div className="row-actions">
                {allowed(`/organizer/events/${event.id}/sales`) && <Link to={`/organizer/events/${event.id}/sales`}>{t("eventTabs.sales")}</Link>}
                {allowed(`/organizer/events/${event.id}/box-office`) && <Link to={`/organizer/events/${event.id}/box-office`}>{t("eventTabs.boxOffice")}</Link>}
                {allowed(`/gate/${event.id}`) && <Link to={`/gate/${event.id}`}>{t("eventTabs.gate")}</Link>}
              </div>
            ),
          },
        ]}
      />
    </Page>
  );
}
