import { api, call, type Schemas } from "../../api/client.ts";
import { Link, navigate } from "../../app/router.tsx";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { decimalToMinor, fromLocalInput, minorToDecimal, toLocalInput } from "../../i18n/format.ts";
import { ACCESS_TYPES } from "../../ui/enums.ts";
import { CheckboxField, Form, nullable, numberOrText, optional, SelectField, TextArea, TextField, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, useLoad } from "../../ui/kit.tsx";
import { EventTabs } from "./EventTabs.tsx";

type Event = Schemas["EventDetail"];
type Create = Schemas["CreateEventRequest"];
const CURRENCIES = ["XOF", "TND"] as const satisfies readonly Create["currency"][];

function EventForm({ event, options }: { event: Event | null; options: { venues: Schemas["Venue"][]; categories: Schemas["Category"][]; groups: Schemas["EventGroup"][] } }) {
  const { t } = useI18n();
  const form = useForm({
    title: event?.title ?? "",
    short_description: event?.short_description ?? "",
    description: event?.description ?? "",
    starts_at: toLocalInput(event?.starts_at),
    ends_at: toLocalInput(event?.ends_at),
    doors_open_at: toLocalInput(event?.doors_open_at),
    timezone: event?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    venue_id: event?.venue_id ?? "",
    venue_name: event?.venue_name ?? "",
    address: event?.address ?? "",
    category_id: event?.category_id ?? "",
    event_group_id: event?.event_group_id ?? "",
    access_type: event?.access_type ?? "PAID",
    currency: event?.currency ?? "XOF",
    price: event?.price != null ? minorToDecimal(event.price, event.currency) : "",
    max_capacity: event?.max_capacity?.toString() ?? "",
    ticketing_enabled: event?.ticketing_enabled ?? true,
  });
  const v = form.values;
  return (
    <Form
      form={form}
      label={t("events.form")}
      submitLabel={event ? t("common.save") : t("common.create")}
      onSubmit={async (values) => {
        const currency = values.currency as Create["currency"];
        const price = optional(values.price);
        const body = {
          title: String(values.title),
          description: String(values.description),
          short_description: nullable(values.short_description),
          starts_at: fromLocalInput(String(values.starts_at)),
          ends_at: fromLocalInput(String(values.ends_at)),
          doors_open_at: optional(values.doors_open_at) ? fromLocalInput(String(values.doors_open_at)) : undefined,
          timezone: String(values.timezone),
          venue_id: nullable(values.venue_id),
          venue_name: optional(values.venue_name),
          address: nullable(values.address),
          category_id: nullable(values.category_id),
          event_group_id: nullable(values.event_group_id),
          access_type: values.access_type as Create["access_type"],
          currency,
          price: price === undefined ? undefined : (decimalToMinor(price, currency) ?? (price as unknown as number)),
          max_capacity: numberOrText(values.max_capacity) ?? null,
          ticketing_enabled: Boolean(values.ticketing_enabled),
        };
        const saved = event
          ? await call(() => api.PATCH("/v1/events/{event_id}", { params: { path: { event_id: event.id } }, body }))
          : await call(() => api.POST("/v1/events", { body }));
        navigate(`/organizer/events/${saved.id}`);
      }}
    >
      <TextField form={form} name="title" label={t("event.title")} required />
      <TextField form={form} name="short_description" label={t("event.shortDescription")} />
      <TextArea form={form} name="description" label={t("common.description")} rows={6} />
      <div className="form-grid">
        <TextField form={form} name="starts_at" label={t("event.startsAt")} type="datetime-local" required />
        <TextField form={form} name="ends_at" label={t("event.endsAt")} type="datetime-local" required />
        <TextField form={form} name="doors_open_at" label={t("event.doors")} type="datetime-local" />
        <TextField form={form} name="timezone" label={t("event.timezone")} hint="Africa/Tunis, Africa/Porto-Novo" />
      </div>
      <div className="form-grid">
        <SelectField form={form} name="venue_id" label={t("event.venue")} empty={t("events.noVenue")} options={options.venues.map((venue) => ({ value: venue.id, label: venue.name }))} />
        {!v.venue_id && <TextField form={form} name="venue_name" label={t("events.venueName")} />}
        <TextField form={form} name="address" label={t("events.address")} />
        <SelectField form={form} name="category_id" label={t("common.category")} empty={t("common.none")} options={options.categories.map((c) => ({ value: c.id, label: c.name }))} />
        <SelectField form={form} name="event_group_id" label={t("events.group")} empty={t("common.none")} options={options.groups.map((g) => ({ value: g.id, label: g.name }))} />
      </div>
      <div className="form-grid">
        <SelectField form={form} name="access_type" label={t("event.accessType")} options={ACCESS_TYPES.map((value) => ({ value, label: t(`access.${value}`) }))} />
        <SelectField form={form} name="currency" label={t("common.currency")} options={CURRENCIES.map((value) => ({ value, label: value }))} />
        <TextField form={form} name="price" label={t("events.priceFrom")} inputMode="decimal" />
        <TextField form={form} name="max_capacity" label={t("common.capacity")} inputMode="numeric" />
      </div>
      <CheckboxField form={form} name="ticketing_enabled" label={t("events.ticketing")} />
    </Form>
  );
}

export default function EventEdit({ params }: ScreenProps) {
  const { t } = useI18n();
  const eventId = params.event_id;
  const loaded = useLoad(
    () =>
      Promise.all([
        eventId ? call(() => api.GET("/v1/events/{event_id}", { params: { path: { event_id: eventId } } })) : Promise.resolve(null),
        call(() => api.GET("/v1/venues", { params: { query: { mine: "true", limit: 100 } } })),
        call(() => api.GET("/v1/categories", { params: { query: { limit: 100 } } })),
        call(() => api.GET("/v1/event-groups", { params: { query: { mine: "true", limit: 100 } } })),
      ]),
    [eventId],
  );
  if (loaded.error) return <ErrorNotice error={loaded.error} />;
  if (!loaded.data) return <Loading />;
  const [event, venues, categories, groups] = loaded.data;
  return (
    <Page title={event ? t("events.edit", { title: event.title }) : t("events.new")} actions={<Link to={event ? `/organizer/events/${event.id}` : "/organizer/events"}>{t("common.back")}</Link>}>
      {event && <EventTabs eventId={event.id} />}
      <EventForm event={event} options={{ venues: venues.data, categories: categories.data, groups: groups.data }} />
    </Page>
  );
}
