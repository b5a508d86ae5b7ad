import { useState } from "react";
import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { FAQ_CATEGORIES, LANGUAGE_CODES } from "../../ui/enums.ts";
import { CheckboxField, Form, numberOrText, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { Badge, DataTable, Dialog, ErrorNotice, Page, useAction, useAnnouncer, usePaged } from "../../ui/kit.tsx";

type Faq = Schemas["AdminFaq"];

function FaqForm({ faq, onDone }: { faq: Faq | null; onDone: () => void }) {
  const { t } = useI18n();
  const form = useForm({
    question: faq?.question ?? "",
    answer: faq?.answer ?? "",
    category: faq?.category ?? "GENERAL",
    language: faq?.language ?? "fr",
    display_order: String(faq?.display_order ?? 0),
    is_active: faq?.is_active ?? true,
  });
  return (
    <Form
      form={form}
      submitLabel={faq ? t("common.save") : t("common.create")}
      onSubmit={async (v) => {
        const body = {
          question: String(v.question),
          answer: String(v.answer),
          category: v.category as Faq["category"],
          language: v.language as Faq["language"],
          display_order: numberOrText(v.display_order),
          is_active: Boolean(v.is_active),
        };
        if (faq) await call(() => api.PATCH("/v1/admin/faqs/{faq_id}", { params: { path: { faq_id: faq.id } }, body }));
        else await call(() => api.POST("/v1/admin/faqs", { body }));
        onDone();
      }}
    >
      <TextField form={form} name="question" label={t("faq.question")} required />
      <TextArea form={form} name="answer" label={t("faq.answer")} rows={6} required />
      <div className="form-grid">
        <SelectField form={form} name="category" label={t("common.category")} options={FAQ_CATEGORIES.map((value) => ({ value, label: t(`faqCategory.${value}`) }))} />
        <SelectField form={form} name="language" label={t("common.language")} options={LANGUAGE_CODES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="display_order" label={t("common.order")} inputMode="numeric" />
      </div>
      <CheckboxField form={form} name="is_active" label={t("faq.published")} />
    </Form>
  );
}

export default function FaqScreen() {
  const { t } = useI18n();
  const { search } = useLocation();
  const language = (search.get("language") ?? "") as Faq["language"] | "";
  const list = usePaged((cursor) => call(() => api.GET("/v1/admin/faqs", { params: { query: { language: language || undefined, cursor, limit: 100 } } })), [language]);
  const [editing, setEditing] = useState<Faq | "new" | null>(null);
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  return (
    <Page title={t("faq.title")} actions={<button type="button" className="primary" onClick={() => setEditing("new")}>{t("faq.new")}</button>}>
      {announcement}
      <div className="toolbar">
        <label className="field">
          <span>{t("common.language")}</span>
          <select value={language} onChange={(event) => setSearch({ language: event.target.value || undefined })}>
            <option value="">{t("common.all")}</option>
            {LANGUAGE_CODES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNotice error={list.error ?? action.error} />
      <DataTable
        caption={t("faq.title")}
        rows={list.rows}
        rowKey={(row) => row.id}
        paged={list}
        columns={[
          { header: t("faq.question"), cell: (row) => <span lang={row.language}>{row.question}</span> },
          { header: t("common.category"), cell: (row) => t(`faqCategory.${row.category}`) },
          { header: t("common.language"), cell: (row) => row.language },
          { header: t("faq.helpful"), numeric: true, cell: (row) => `${row.helpful_yes_count} / ${row.helpful_no_count}` },
          { header: t("common.active"), cell: (row) => (row.is_active ? <Badge tone="ok">{t("common.yes")}</Badge> : <Badge>{t("common.no")}</Badge>) },
          {
            header: t("common.actions"),
            cell: (row) => (
              <div className="row-actions">
                <button type="button" className="small" onClick={() => setEditing(row)}>
                  {t("common.edit")}
                </button>
                <button
                  type="button"
                  className="small danger"
                  disabled={action.busy}
                  onClick={() =>
                    confirm(t("common.confirmDelete")) &&
                    void action.run(async () => {
                      await call(() => api.DELETE("/v1/admin/faqs/{faq_id}", { params: { path: { faq_id: row.id } } }));
                      list.reload();
                    })
                  }
                >
                  {t("common.delete")}
                </button>
              </div>
            ),
          },
        ]}
      />
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("faq.new") : t("common.edit")}>
        {editing && (
          <FaqForm
            faq={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              announce(t("common.saved"));
              list.reload();
            }}
          />
        )}
      </Dialog>
    </Page>
  );
}
