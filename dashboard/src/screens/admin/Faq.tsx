import { api, call, type Schemas } from "../../api/client.ts";
import { setSearch, useLocation } from "../../app/router.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { FAQ_CATEGORIES, LANGUAGE_CODES } from "../../ui/enums.ts";
import { CheckboxField, Form, numberOrText, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { DataTable, ErrorNotice, Page, usePaged } from "../../ui/kit.tsx";
import { RowActions, useEditor, YesNo } from "../../ui/crud.tsx";

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
  const editor = useEditor<Faq>({ newLabel: t("faq.new"), onSaved: () => list.reload() });
  return (
    <Page title={t("faq.title")} actions={editor.newButton}>
      {editor.announcement}
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
      <ErrorNotice error={list.error ?? editor.error} />
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
          { header: t("common.active"), cell: (row) => <YesNo value={row.is_active} /> },
          {
            header: t("common.actions"),
            cell: (row) => (
              <RowActions
                onEdit={() => editor.edit(row)}
                busy={editor.busy}
                onDelete={() => editor.remove(() => call(() => api.DELETE("/v1/admin/faqs/{faq_id}", { params: { path: { faq_id: row.id } } })))}
              />
            ),
          },
        ]}
      />
      {editor.dialog((row, saved) => (
        <FaqForm faq={row} onDone={saved} />
      ))}
    </Page>
  );
}
