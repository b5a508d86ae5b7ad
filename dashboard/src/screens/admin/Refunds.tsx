import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, minorToDecimal } from "../../i18n/format.ts";
import { REFUND_STATUSES } from "../../ui/enums.ts";
import { Form, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, StatusBadge, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Refund = Schemas["Refund"];

function Decide({ refund, onDone }: { refund: Refund; onDone: (text: string) => void }) {
  const { t, money } = useI18n();
  const approve = useForm({ amount: minorToDecimal(refund.amount, refund.currency), comment: "" });
  const reject = useForm({ comment: "" });
  const path = { refund_id: refund.id };
  return (
    <div className="split">
      <Form
        form={approve}
        submitLabel={t("refunds.approve")}
        onSubmit={async (values) => {
          const amount = decimalToMinor(String(values.amount), refund.currency);
          const comment = String(values.comment).trim();
          await call(() =>
            api.POST("/v1/refunds/{refund_id}/approve", {
              params: { path },
              // Text that is no amount goes as is, so the API names the field.
              body: { amount: amount ?? (values.amount as unknown as number), ...(comment ? { comment } : {}) },
            }),
          );
          onDone(t("refunds.approved"));
        }}
      >
        <TextField form={approve} name="amount" label={t("refunds.amountIn", { currency: refund.currency })} inputMode="decimal" hint={t("refunds.requested", { amount: money(refund.amount, refund.currency) })} />
        <TextArea form={approve} name="comment" label={t("moderation.commentOptional")} />
      </Form>
      <Form
        form={reject}
        submitLabel={t("refunds.reject")}
        onSubmit={async (values) => {
          await call(() => api.POST("/v1/refunds/{refund_id}/reject", { params: { path }, body: { comment: String(values.comment) } }));
          onDone(t("refunds.rejected"));
        }}
      >
        <TextArea form={reject} name="comment" label={t("moderation.commentRequired")} required />
      </Form>
    </div>
  );
}

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
                      await call(() => api.POST("/v1/refunds/{refund_id}/complete", { params: { path: { refund_id: row.id } }, body: {} }));
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
          <Decide
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
