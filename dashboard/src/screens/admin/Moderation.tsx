import { api, call } from "../../api/client.ts";
import { Link, setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { EVENT_STATUSES } from "../../ui/enums.ts";
import { DataTable, ErrorNotice, Page, StatusBadge, usePaged } from "../../ui/kit.tsx";

/** The review queue: events waiting for an admin, oldest submission first; other statuses by filter. */
export default function Moderation() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "PENDING_REVIEW") as (typeof EVENT_STATUSES)[number];
  const list = usePaged(
    (cursor) => call(() => api.GET("/v1/admin/events", { params: { query: { status, cursor, limit: 50 } } })),
    [status],
  );
  return (
    <Page title={t("moderation.title")} lead={t("moderation.lead")}>
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value })}>
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
        caption={t("moderation.title")}
        rows={list.rows}
        rowKey={(event) => event.id}
        paged={list}
        empty={t("moderation.empty")}
        columns={[
          { header: t("event.title"), cell: (event) => <Link to={`/admin/moderation/${event.id}`}>{event.title}</Link> },
          { header: t("event.startsAt"), cell: (event) => dateTime(event.starts_at, event.timezone) },
          { header: t("event.venue"), cell: (event) => event.venue_name },
          { header: t("common.status"), cell: (event) => <StatusBadge value={event.status} /> },
          { header: t("moderation.updated"), cell: (event) => dateTime(event.updated_at) },
        ]}
      />
    </Page>
  );
}
