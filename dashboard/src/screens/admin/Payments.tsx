import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { PAYMENT_PROVIDERS, PAYMENT_STATUSES } from "../../ui/enums.ts";
import { DataTable, ErrorNotice, Page, StatusBadge, usePaged } from "../../ui/kit.tsx";

type Payment = Schemas["Payment"];

function WebhookEvents() {
  const { t, dateTime } = useI18n();
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/webhook-events", { params: { query: { cursor, limit: 50 } } })), []);
  return (
    <>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("payments.webhooks")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("payments.received"), cell: (row) => dateTime(row.received_at) },
          { header: t("payments.provider"), cell: (row) => row.provider },
          { header: t("common.type"), cell: (row) => row.event_type ?? "—" },
          { header: t("payments.signature"), cell: (row) => (row.signature_valid ? t("payments.valid") : t("payments.invalid")) },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
          { header: t("payments.attempts"), numeric: true, cell: (row) => row.attempts },
          { header: t("payments.error"), cell: (row) => row.error ?? "—" },
        ]}
      />
    </>
  );
}

export default function Payments() {
  const { t, money, dateTime } = useI18n();
  const { search } = useLocation();
  const tab = search.get("tab") === "webhooks" ? "webhooks" : "payments";
  const status = (search.get("status") ?? "") as Payment["status"] | "";
  const provider = (search.get("provider") ?? "") as Payment["provider"] | "";
  const list = usePaged(
    (cursor) => call(() => api.GET("/v1/admin/payments", { params: { query: { status: status || undefined, provider: provider || undefined, cursor, limit: 50 } } })),
    [status, provider],
  );
  return (
    <Page title={t("payments.title")} lead={t("payments.lead")}>
      <nav className="tabs" aria-label={t("payments.title")}>
        <a href="?tab=payments" aria-current={tab === "payments" ? "page" : undefined} onClick={(e) => (e.preventDefault(), setSearch({ tab: undefined }))}>
          {t("payments.payments")}
        </a>
        <a href="?tab=webhooks" aria-current={tab === "webhooks" ? "page" : undefined} onClick={(e) => (e.preventDefault(), setSearch({ tab: "webhooks" }))}>
          {t("payments.webhooks")}
        </a>
      </nav>
      {tab === "webhooks" ? (
        <WebhookEvents />
      ) : (
        <>
          <div className="toolbar">
            <label className="field">
              <span>{t("common.status")}</span>
              <select value={status} onChange={(event) => setSearch({ status: event.target.value || undefined })}>
                <option value="">{t("common.all")}</option>
                {PAYMENT_STATUSES.map((value) => (
                  <option key={value} value={value}>
                    {t(`status.${value}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t("payments.provider")}</span>
              <select value={provider} onChange={(event) => setSearch({ provider: event.target.value || undefined })}>
                <option value="">{t("common.all")}</option>
                {PAYMENT_PROVIDERS.map((value) => (
                  <option key={value} value={value}>
                    {value}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ErrorNotice error={list.error} />
          <DataTable
            caption={t("payments.payments")}
            rows={list.rows}
            rowKey={(row) => row.id}
            paged={list}
            columns={[
              { header: t("common.created"), cell: (row) => dateTime(row.created_at) },
              { header: t("payments.reference"), cell: (row) => row.internal_reference },
              { header: t("common.type"), cell: (row) => t(`paymentType.${row.type}`) },
              { header: t("payments.provider"), cell: (row) => row.provider },
              { header: t("common.amount"), numeric: true, cell: (row) => money(row.amount, row.currency) },
              { header: t("payments.refunded"), numeric: true, cell: (row) => (row.refunded_amount ? money(row.refunded_amount, row.currency) : "—") },
              { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
            ]}
          />
        </>
      )}
    </Page>
  );
}
