import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { CONTACT_STATUSES } from "../../ui/enums.ts";
import { Form, SelectField, TextArea, useForm } from "../../ui/form.tsx";
import { DataTable, Dialog, ErrorNotice, Page, StatusBadge, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Message = Schemas["ContactMessage"];

function Reply({ message, onDone }: { message: Message; onDone: () => void }) {
  const { t, dateTime } = useI18n();
  const reply = useForm({ reply: "" });
  const status = useForm({ status: message.status as string });
  const path = { message_id: message.id };
  return (
    <>
      <dl className="facts">
        <dt>{t("contact.from")}</dt>
        <dd>
          {message.name} &lt;{message.email}&gt;
        </dd>
        <dt>{t("common.date")}</dt>
        <dd>{dateTime(message.created_at)}</dd>
        <dt>{t("contact.subject")}</dt>
        <dd>{message.subject}</dd>
      </dl>
      <p className="prewrap">{message.message}</p>
      {message.response && (
        <p className="notice">
          {t("contact.answered")}: {message.response}
        </p>
      )}
      <Form
        form={reply}
        submitLabel={t("contact.send")}
        onSubmit={async (v) => {
          await call(() => api.POST("/v1/admin/contact-messages/{message_id}/reply", { params: { path }, body: { reply: String(v.reply) } }));
          onDone();
        }}
      >
        <TextArea form={reply} name="reply" label={t("contact.reply")} rows={6} required />
      </Form>
      <Form
        form={status}
        submitLabel={t("common.save")}
        onSubmit={async (v) => {
          await call(() => api.PATCH("/v1/admin/contact-messages/{message_id}", { params: { path }, body: { status: v.status as Message["status"] } }));
          onDone();
        }}
      >
        <SelectField form={status} name="status" label={t("common.status")} options={CONTACT_STATUSES.map((value) => ({ value, label: t(`status.${value}`) }))} />
      </Form>
    </>
  );
}

export default function Contact() {
  const { t, dateTime } = useI18n();
  const { search } = useLocation();
  const status = (search.get("status") ?? "NEW") as Message["status"] | "";
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/contact-messages", { params: { query: { status: status || undefined, cursor, limit: 50 } } })), [status]);
  const [open, setOpen] = useState<Message | null>(null);
  const [announcement, announce] = useAnnouncer();
  return (
    <Page title={t("contact.title")}>
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("common.status")}</span>
          <select value={status} onChange={(event) => setSearch({ status: event.target.value })}>
            <option value="">{t("common.all")}</option>
            {CONTACT_STATUSES.map((value) => (
              <option key={value} value={value}>
                {t(`status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error} />
      <DataTable
        caption={t("contact.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("common.date"), cell: (row) => dateTime(row.created_at) },
          { header: t("contact.from"), cell: (row) => `${row.name} <${row.email}>` },
          { header: t("common.category"), cell: (row) => row.category },
          {
            header: t("contact.subject"),
            cell: (row) => (
              <button type="button" className="small ghost link" onClick={() => setOpen(row)}>
                {row.subject}
              </button>
            ),
          },
          { header: t("common.status"), cell: (row) => <StatusBadge value={row.status} /> },
        ]}
      />
      <Dialog open={open !== null} onClose={() => setOpen(null)} title={open?.subject ?? ""}>
        {open && (
          <Reply
            message={open}
            onDone={() => {
              setOpen(null);
              announce(t("common.done"));
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
