import { useState } from "react";
import { api, call } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { AUDIT_ACTIONS } from "../../ui/enums.ts";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";

export default function AuditLog() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const action = (search.get("action") ?? "") as (typeof AUDIT_ACTIONS)[number] | "";
  const objectType = search.get("object_type") ?? "";
  const objectId = search.get("object_id") ?? "";
  const [type, setType] = useState(objectType);
  const [id, setId] = useState(objectId);
  const list = usePaged(
    (cursor) =>
      call(() =>
        api.GET("/v1/admin/audit-log", {
          params: { query: { action: action || undefined, object_type: objectType || undefined, object_id: objectId || undefined, cursor, limit: 50 } },
        }),
      ),
    [action, objectType, objectId],
  );
  return (
    <Page title={t("audit.title")}>
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setSearch({ object_type: type.trim() || undefined, object_id: id.trim() || undefined });
        }}
      >
        <label className="field">
          <span>{t("audit.action")}</span>
          <select value={action} onChange={(event) => setSearch({ action: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {AUDIT_ACTIONS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t("audit.objectType")}</span>
          <input value={type} onChange={(event) => setType(event.target.value)} />
        </label>
        <label className="field">
          <span>{t("audit.objectId")}</span>
          <input value={id} onChange={(event) => setId(event.target.value)} />
        </label>
        <button type="submit" className="primary">
          {t("common.filter")}
        </button>
      </form>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("audit.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.date"), cell: (row) => dateTime(row.created_at) },
          { header: t("audit.action"), cell: (row) => row.action },
          { header: t("common.description"), cell: (row) => row.description },
          { header: t("audit.object"), cell: (row) => (row.object_type ? `${row.object_type} ${row.object_id?.slice(0, 8)}` : "—") },
          { header: t("common.user"), cell: (row) => (row.user_id ? <code>{row.user_id.slice(0, 8)}</code> : "—") },
          { header: t("audit.ip"), cell: (row) => row.ip_address ?? "—" },
          {
            header: t("common.details"),
            cell: (row) =>
              row.data_before || row.data_after ? (
                <details>
                  <summary>{t("common.details")}</summary>
                  <pre className="json">{JSON.stringify({ before: row.data_before, after: row.data_after }, null, 1)}</pre>
                </details>
              ) : null,
          },
        ]}
      />
    </Page>
  );
}
