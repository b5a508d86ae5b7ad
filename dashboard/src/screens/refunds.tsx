/**
 * Deciding refund requests, for admins (every refund) and an organization's
 * OWNER and FINANCE (their events' refunds, refunds.manage): the same
 * routes, the same forms.
 */
import { api, call } from "../api/client.ts";
import { useI18n } from "../i18n/index.tsx";
import { decimalToMinor, minorToDecimal } from "../i18n/format.ts";
import { Form, TextArea, TextField, useForm } from "../ui/form.tsx";

/** What deciding needs of a refund, as the refunds list and the back-office list both give it. */
export interface RefundRequest {
  id: string;
  amount: number;
  currency: string;
}

/** Approve (the amount, at most what was asked) or reject (a comment) one refund request. */
export function DecideRefund({ refund, onDone }: { refund: RefundRequest; onDone: (text: string) => void }) {
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


/** Records an approved refund as paid back (cash, bank transfer: nothing to call at a provider). */
export const completeRefund = (refundId: string) => call(() => api.POST("/v1/refunds/{refund_id}/complete", { params: { path: { refund_id: refundId } }, body: {} }));
