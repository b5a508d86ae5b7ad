import { api, call } from "../../api/client.ts";
import { Link, setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { VERIFICATION_STATUSES } from "../../ui/enums.ts";
import { DataTable, ErrorNotice, Page, StatusBadge, usePaged } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

export default function Verifications() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "PENDING") as (typeof VERIFICATION_STATUSES)[number];
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/verifications", { params: { query: { status, cursor, limit: 50 } } })), [status]);
  return (
    <Page title={t("verifications.title")}>
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value })}>
            {VERIFICATION_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("verifications.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.user"), cell: (row) => <Link to={`/admin/verifications/${row.id}`}>{personName(row.user)}</Link> },
          { header: t("common.email"), cell: (row) => row.user.email },
          { header: t("verifications.submitted"), cell: (row) => dateTime(row.submitted_at) },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
        ]}
      />
    </Page>
  );
}
