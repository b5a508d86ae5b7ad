import { useRef } from "react";
import { api, call, mediaUrl } from "../../api/client.ts";
import { Link, navigate } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, TextArea, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, Section, StatusBadge, useAction, useAnnouncer } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

export default function EventDetail({ params }: ScreenProps) {
  const { t, dateTime, money } = useI18n();
  const eventId = params.event_id!;
  const path = { event_id: eventId };
  const loaded = useEvent(eventId);
  const action = useAction();
  const [announcement, announce] = useAnnouncer();
  const file = useRef<HTMLInputElement>(null);
  const cancel = useForm({ reason: "" });
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const event = loaded.data;
  const submittable = event.status === "DRAFT" || event.status === "REJECTED";
  const cancellable = event.status === "APPROVED" || event.status === "PENDING_REVIEW";
  return (
    <Page
      title={event.title}
      actions={
        <>
          {event.status !== "CANCELLED" && event.status !== "COMPLETED" && event.status !== "PENDING_REVIEW" && (
            <Link className="button" to={`/organizer/events/${eventId}/edit`}>
              {t("common.edit")}
            </Link>
          )}
          {submittable && (
            <button
              type="button"
              className="primary"
              disabled={action.busy}
              onClick={() =>
                void action.run(async () => {
                  await call(() => api.POST("/v1/events/{event_id}/submit", { params: { path } }));
                  announce(t("events.submitted"));
                  loaded.reload();
                })
              }
            >
              {t("events.submit")}
            </button>
          )}
          {event.status === "DRAFT" && (
            <button
              type="button"
              className="danger"
              disabled={action.busy}
              onClick={() =>
                confirm(t("common.confirmDelete")) &&
                void action.run(async () => {
                  await call(() => api.DELETE("/v1/events/{event_id}", { params: { path } }));
                  navigate("/organizer/events");
                })
              }
            >
              {t("common.delete")}
            </button>
          )}
        </>
      }
    >
      <EventTabs eventId={eventId} />
      {announcement}
      <ErrorNotice error={action.error} />
      {event.status === "REJECTED" && <p className="notice notice-error">{t("events.rejectedNotice")}</p>}
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
            <dt>{t("event.doors")}</dt>
            <dd>{dateTime(event.doors_open_at, event.timezone)}</dd>
            <dt>{t("event.venue")}</dt>
            <dd>{event.venue_id ? <Link to={`/organizer/venues/${event.venue_id}`}>{event.venue_name}</Link> : event.venue_name}</dd>
            <dt>{t("event.accessType")}</dt>
            <dd>{t(`access.${event.access_type}`)}</dd>
            <dt>{t("events.priceFrom")}</dt>
            <dd>{event.price != null ? money(event.price, event.currency) : "—"}</dd>
            <dt>{t("common.capacity")}</dt>
            <dd>{event.max_capacity ?? "—"}</dd>
          </dl>
        </Section>
        <Section title={t("event.cover")}>
          {event.cover_url ? <img className="media-preview" src={mediaUrl(event.cover_url)} alt={t("event.cover")} /> : <p>{t("events.noCover")}</p>}
          <div className="field">
            <label htmlFor="cover-file">{t("events.uploadCover")}</label>
            <input
              id="cover-file"
              ref={file}
              type="file"
              accept="image/jpeg,image/png,image/webp"
              onChange={(change) => {
                const chosen = change.target.files?.[0];
                if (!chosen) return;
                void action.run(async () => {
                  await call(() =>
                    api.PUT("/v1/events/{event_id}/cover", {
                      params: { path },
                      body: chosen as never,
                      bodySerializer: (body: unknown) => body as Blob,
                      headers: { "Content-Type": chosen.type },
                    }),
                  );
                  announce(t("events.coverSaved"));
                  if (file.current) file.current.value = "";
                  loaded.reload();
                });
              }}
            />
          </div>
          {event.cover_url && (
            <button
              type="button"
              className="small danger"
              disabled={action.busy}
              onClick={() =>
                void action.run(async () => {
                  await call(() => api.DELETE("/v1/events/{event_id}/cover", { params: { path } }));
                  loaded.reload();
                })
              }
            >
              {t("events.removeCover")}
            </button>
          )}
        </Section>
      </div>
      {cancellable && (
        <Section title={t("events.cancel")}>
          <Form
            form={cancel}
            submitLabel={t("events.cancel")}
            onSubmit={async (values) => {
              if (!confirm(t("events.cancelConfirm"))) return;
              await call(() => api.POST("/v1/events/{event_id}/cancel", { params: { path }, body: { reason: String(values.reason) } }));
              loaded.reload();
            }}
          >
            <TextArea form={cancel} name="reason" label={t("common.reason")} required />
          </Form>
        </Section>
      )}
    </Page>
  );
}
