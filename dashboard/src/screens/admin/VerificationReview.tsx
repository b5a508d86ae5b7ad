import { useEffect, useState } from "react";
import { api, call, download } from "../../api/client.ts";
import { Link, navigate } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, TextArea, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, Section, StatusBadge, useLoad } from "../../ui/kit.tsx";
import { personName } from "../../i18n/format.ts";

/** A private file of the verification, fetched with the admin's token and shown from memory. */
function PrivateFile({ load, label, type }: { load: () => Promise<Blob>; label: string; type: string }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let object: string | undefined;
    load().then(
      (blob) => {
        object = URL.createObjectURL(blob);
        setUrl(object);
      },
      setError,
    );
    return () => {
      if (object) URL.revokeObjectURL(object);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  if (error) return <ErrorNotice error={error} />;
  if (!url) return <Loading />;
  return type === "application/pdf" ? (
    <a href={url} target="_blank" rel="noreferrer">
      {label} (PDF)
    </a>
  ) : (
    <img className="media-preview" src={url} alt={label} />
  );
}

export default function VerificationReview({ params }: ScreenProps) {
  const { t, dateTime } = useI18n();
  const id = params.verification_id!;
  const path = { verification_id: id };
  const loaded = useLoad(() => call(() => api.GET("/v1/admin/verifications/{verification_id}", { params: { path } })), [id]);
  const approve = useForm({ comment: "" });
  const reject = useForm({ comment: "" });
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const v = loaded.data;
  return (
    <Page title={t("verifications.review", { name: personName(v.user) })} actions={<Link to="/admin/verifications">{t("common.back")}</Link>}>
      <Section title={t("common.details")}>
        <dl className="facts">
          <dt>{t("common.email")}</dt>
          <dd>{v.user.email}</dd>
          <dt>{t("common.status")}</dt>
          <dd>
            <StatusBadge value={v.status} />
          </dd>
          <dt>{t("verifications.submitted")}</dt>
          <dd>{dateTime(v.submitted_at)}</dd>
          {v.admin_comment && (
            <>
              <dt>{t("common.comment")}</dt>
              <dd>{v.admin_comment}</dd>
            </>
          )}
        </dl>
      </Section>
      <div className="split">
        <Section title={t("verifications.document")}>
          <PrivateFile
            label={t("verifications.document")}
            type={v.document_content_type}
            load={() => download(() => api.GET("/v1/admin/verifications/{verification_id}/document", { params: { path }, parseAs: "blob" }))}
          />
        </Section>
        <Section title={t("verifications.selfie")}>
          <PrivateFile
            label={t("verifications.selfie")}
            type={v.selfie_content_type}
            load={() => download(() => api.GET("/v1/admin/verifications/{verification_id}/selfie", { params: { path }, parseAs: "blob" }))}
          />
        </Section>
      </div>
      {v.status === "PENDING" && (
        <div className="split">
          <Section title={t("verifications.approve")}>
            <Form
              form={approve}
              submitLabel={t("verifications.approve")}
              onSubmit={async (values) => {
                const comment = String(values.comment).trim();
                await call(() => api.POST("/v1/admin/verifications/{verification_id}/approve", { params: { path }, body: comment ? { comment } : {} }));
                navigate("/admin/verifications");
              }}
            >
              <TextArea form={approve} name="comment" label={t("moderation.commentOptional")} />
            </Form>
          </Section>
          <Section title={t("verifications.reject")}>
            <Form
              form={reject}
              submitLabel={t("verifications.reject")}
              onSubmit={async (values) => {
                await call(() => api.POST("/v1/admin/verifications/{verification_id}/reject", { params: { path }, body: { comment: String(values.comment) } }));
                navigate("/admin/verifications");
              }}
            >
              <TextArea form={reject} name="comment" label={t("moderation.commentRequired")} required />
            </Form>
          </Section>
        </div>
      )}
    </Page>
  );
}
