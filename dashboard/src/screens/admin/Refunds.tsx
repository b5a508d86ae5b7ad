import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { REFUND_STATUSES } from "../../ui/enums.ts";
import { DataTable, Dialog, ErrorNotice, Page, StatusBadge, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

import { completeRefund, DecideRefund } from "../refunds.tsx";

type Refund = Schemas["Refund"];

export default function Refunds() {
  const { t, money, dateTime } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "REQUESTED") as (typeof REFUND_STATUSES)[number];
  const list = usePaged((cursor) => call(() => api.GET("/v1/refunds", { params: { query: { status, cursor, limit: 50 } } })), [status]);
  const [open, setOpen] = useState<Refund | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  return (
    <Page title={t("refunds.title")} lead={t("refunds.lead")}>
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value })}>
            {REFUND_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("refunds.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("refunds.requestedAt"), cell: (row) => dateTime(row.requested_at) },
          { header: t("common.amount"), numeric: true, cell: (row) => money(row.amount, row.currency) },
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
                      announce(t("refunds.completed"));
                      list.reload();
                    })
                  }
                >
                  {t("refunds.complete")}
                </button>
              ) : (
                row.admin_comment ?? ""
              ),
          },
        ]}
      />
      <Dialog open={open !== null} onClose={() => setOpen(null)} title={t("refunds.decide")}>
        {open && (
          <DecideRefund
            refund={open}
            onDone={(text) => {
              setOpen(null);
              announce(text);
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
