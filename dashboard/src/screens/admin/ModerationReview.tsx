import { api, call, mediaUrl } from "../../api/client.ts";
import { Link, navigate } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, TextArea, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, Section, StatusBadge, useLoad } from "../../ui/kit.tsx";

/** One event under review: its content, what changed since the last decision, and the decision. */
export default function ModerationReview({ params }: ScreenProps) {
  const { t, dateTime, money } = useI18n();
  const eventId = params.event_id!;
  const loaded = useLoad(
    () =>
      Promise.all([
        call(() => api.GET("/v1/events/{event_id}", { params: { path: { event_id: eventId } } })),
        call(() => api.GET("/v1/admin/events/{event_id}/review-changes", { params: { path: { event_id: eventId } } })),
      ]),
    [eventId],
  );
  const approve = useForm({ comment: "" });
  const reject = useForm({ comment: "" });
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [event, review] = loaded.data;
  const show = (value: unknown) => (value === null || value === undefined || value === "" ? "—" : typeof value === "object" ? JSON.stringify(value) : String(value));
  const pending = event.status === "PENDING_REVIEW";
  return (
    <Page title={event.title} actions={<Link to="/admin/moderation">{t("common.back")}</Link>}>
      <div className="split">
        <Section title={t("common.details")}>
          <dl className="facts">
            <dt>{t("common.status")}</dt>
            <dd>
              <StatusBadge value={event.status} />
            </dd>
            <dt>{t("event.startsAt")}</dt>
            <dd>{dateTime(event.starts_at, event.timezone)}</dd>
            <dt>{t("event.endsAt")}</dt>
            <dd>{dateTime(event.ends_at, event.timezone)}</dd>
            <dt>{t("event.venue")}</dt>
            <dd>
              {event.venue_name}
              {event.address ? `, ${event.address}` : ""}
            </dd>
            <dt>{t("event.accessType")}</dt>
            <dd>{t(`access.${event.access_type}`)}</dd>
            <dt>{t("common.price")}</dt>
            <dd>{event.price !== null ? money(event.price, event.currency) : "—"}</dd>
            <dt>{t("event.shortDescription")}</dt>
            <dd>{event.short_description ?? "—"}</dd>
          </dl>
          <h3>{t("common.description")}</h3>
          <p className="prewrap">{event.description}</p>
          {event.cover_url && <img className="media-preview" src={mediaUrl(event.cover_url)} alt={t("event.cover")} />}
        </Section>
        <Section title={t("moderation.changes")}>
          {review.last_review ? (
            <p>
              {t("moderation.lastReview", {
                decision: t(review.last_review.decision === "APPROVE" ? "moderation.approved" : "moderation.rejected"),
                date: dateTime(review.last_review.at),
              })}
              {review.last_review.comment ? ` — « ${review.last_review.comment} »` : ""}
            </p>
          ) : (
            <p>{t("moderation.firstReview")}</p>
          )}
          {review.last_review &&
            (review.changes.length === 0 ? (
              <p>{t("moderation.noChanges")}</p>
            ) : (
              <table className="diff">
                <caption className="visually-hidden">{t("moderation.changes")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("moderation.field")}</th>
                    <th scope="col">{t("moderation.before")}</th>
                    <th scope="col">{t("moderation.after")}</th>
                  </tr>
                </thead>
                <tbody>
                  {review.changes.map((change) => (
                    <tr key={change.field}>
                      <th scope="row">{change.field}</th>
                      <td>
                        <del>{show(change.before)}</del>
                      </td>
                      <td>
                        <ins>{show(change.after)}</ins>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
        </Section>
      </div>
      {pending ? (
        <div className="split">
          <Section title={t("moderation.approve")}>
            <Form
              form={approve}
              submitLabel={t("moderation.approve")}
              onSubmit={async (values) => {
                const comment = String(values.comment).trim();
                await call(() => api.POST("/v1/admin/events/{event_id}/approve", { params: { path: { event_id: eventId } }, body: comment ? { comment } : {} }));
                navigate("/admin/moderation");
              }}
            >
              <TextArea form={approve} name="comment" label={t("moderation.commentOptional")} />
            </Form>
          </Section>
          <Section title={t("moderation.reject")}>
            <Form
              form={reject}
              submitLabel={t("moderation.reject")}
              onSubmit={async (values) => {
                await call(() => api.POST("/v1/admin/events/{event_id}/reject", { params: { path: { event_id: eventId } }, body: { comment: String(values.comment) } }));
                navigate("/admin/moderation");
              }}
            >
              <TextArea form={reject} name="comment" label={t("moderation.commentRequired")} required />
            </Form>
          </Section>
        </div>
      ) : (
        <p className="notice">{t("moderation.notPending")}</p>
      )}
    </Page>
  );
}
