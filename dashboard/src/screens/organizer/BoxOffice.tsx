import { useRef, useState } from "react";
import { api, call, download, type Schemas } from "../../api/client.ts";
import type { ScreenProps } from "../../app/routes.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Form, SelectField, TextField, useForm } from "../../ui/form.tsx";
import { ErrorNotice, Loading, Page, Section, useAction, useAnnouncer, useLoad } from "../../ui/kit.tsx";
import { EventTabs, useEvent } from "./EventTabs.tsx";

type Order = Schemas["Order"];

/**
 * The box office: pick a ticket type and a quantity, hold them (an ONSITE
 * order, with an Idempotency-Key so a retried request never sells twice), take
 * the cash and confirm it (the rights are issued then), and print the tickets.
 */
export default function BoxOffice({ params }: ScreenProps) {
  const { t, money, language } = useI18n();
  const eventId = params.event_id!;
  const event = useEvent(eventId);
  const live = useLoad(() => call(() => api.GET("/v1/events/{event_id}/availability", { params: { path: { event_id: eventId } } })), [eventId]);
  const [order, setOrder] = useState<Order | null>(null);
  const [paid, setPaid] = useState(false);
  const [pdf, setPdf] = useState<string | null>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  // One key per sale: kept across retries of the same sale, renewed for the next one.
  const saleKey = useRef(crypto.randomUUID());
  const [announcement, announce] = useAnnouncer();
  const action = useAction();
  const form = useForm({ config_id: "", quantity: "1", format: "A4" });
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data || !live.data) return <Loading />;
  const onSale = live.data.configs.filter((c) => c.on_sale && c.available > 0);
  const chosen = live.data.configs.find((c) => c.id === (form.values.config_id || onSale[0]?.id));

  const print = async (current: Order) => {
    const blob = await download(() =>
      api.GET("/v1/events/{event_id}/orders/{order_id}/tickets.pdf", {
        params: { path: { event_id: eventId, order_id: current.id }, query: { format: form.values.format as "A4" | "THERMAL", lang: language } },
        parseAs: "blob",
      }),
    );
    const url = URL.createObjectURL(blob);
    setPdf(url);
    // The PDF opens in a frame of this page and its print dialog is asked for.
    requestAnimationFrame(() => {
      const node = frame.current;
      if (!node) return;
      node.onload = () => node.contentWindow?.print();
      node.src = url;
    });
  };

  const newSale = () => {
    setOrder(null);
    setPaid(false);
    if (pdf) URL.revokeObjectURL(pdf);
    setPdf(null);
    saleKey.current = crypto.randomUUID();
    form.setAll({ quantity: "1" });
    live.reload();
  };

  return (
    <Page title={t("boxOffice.title", { title: event.data.title })}>
      <EventTabs eventId={eventId} />
      {announcement}
      <ErrorNotice error={live.error ?? action.error} />
      {!order ? (
        <Section title={t("boxOffice.sell")}>
          {onSale.length === 0 ? (
            <p className="notice">{t("boxOffice.nothing")}</p>
          ) : (
            <Form
              form={form}
              label={t("boxOffice.sell")}
              submitLabel={t("boxOffice.hold")}
              onSubmit={async (values) => {
                const configId = String(values.config_id || onSale[0]!.id);
                const quantity = Number(values.quantity);
                const placed = await call(() =>
                  api.POST("/v1/events/{event_id}/orders", {
                    params: { path: { event_id: eventId } },
                    headers: { "Idempotency-Key": saleKey.current },
                    body: { config_id: configId, quantity: Number.isInteger(quantity) ? quantity : (values.quantity as unknown as number), channel: "ONSITE" },
                  }),
                );
                setOrder(placed);
              }}
            >
              <SelectField
                form={form}
                name="config_id"
                label={t("tickets.type")}
                options={onSale.map((c) => ({ value: c.id, label: `${c.ticket_type_code} — ${money(c.price, c.currency)} (${t("boxOffice.left", { count: c.available })})` }))}
              />
              <div className="counter">
                <button type="button" aria-label={t("boxOffice.less")} onClick={() => form.set("quantity", String(Math.max(1, Number(form.values.quantity) - 1)))}>
                  −
                </button>
                <TextField form={form} name="quantity" label={t("common.quantity")} inputMode="numeric" />
                <button type="button" aria-label={t("boxOffice.moreOne")} onClick={() => form.set("quantity", String(Number(form.values.quantity) + 1))}>
                  +
                </button>
              </div>
              {chosen && <p className="field-hint">{t("boxOffice.estimate", { amount: money(chosen.price * Math.max(0, Number(form.values.quantity) || 0), chosen.currency) })}</p>}
            </Form>
          )}
        </Section>
      ) : (
        <Section title={t("boxOffice.order", { number: order.ticket_number })}>
          <dl className="facts">
            <dt>{t("common.quantity")}</dt>
            <dd>{order.quantity}</dd>
            <dt>{t("boxOffice.toCollect")}</dt>
            <dd className="big" data-testid="order-total">
              {money(order.total, order.currency)}
            </dd>
            {order.discount > 0 && (
              <>
                <dt>{t("boxOffice.discount")}</dt>
                <dd>{money(order.discount, order.currency)}</dd>
              </>
            )}
          </dl>
          {!paid ? (
            <div className="form-actions">
              <button
                type="button"
                className="primary"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    const confirmed = await call(() => api.POST("/v1/events/{event_id}/orders/{order_id}/confirm-cash", { params: { path: { event_id: eventId, order_id: order.id } } }));
                    setOrder(confirmed);
                    setPaid(true);
                    announce(t("boxOffice.paid", { count: confirmed.access_rights.length }));
                    await print(confirmed);
                  })
                }
              >
                {t("boxOffice.cashReceived")}
              </button>
              <button
                type="button"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await call(() => api.POST("/v1/events/{event_id}/orders/{order_id}/cancel", { params: { path: { event_id: eventId, order_id: order.id } }, body: { reason: t("boxOffice.cancelReason") } }));
                    newSale();
                  })
                }
              >
                {t("boxOffice.cancelSale")}
              </button>
            </div>
          ) : (
            <div className="form-actions">
              <label className="field">
                <span>{t("boxOffice.format")}</span>
                <select value={String(form.values.format)} onChange={(e) => form.set("format", e.target.value)}>
                  <option value="A4">A4</option>
                  <option value="THERMAL">{t("boxOffice.thermal")}</option>
                </select>
              </label>
              <button type="button" disabled={action.busy} onClick={() => void action.run(() => print(order))}>
                {t("common.print")}
              </button>
              {pdf && (
                <a className="button" href={pdf} download={`${order.ticket_number}.pdf`} data-testid="tickets-pdf">
                  {t("common.download")}
                </a>
              )}
              <button type="button" className="primary" onClick={newSale}>
                {t("boxOffice.next")}
              </button>
            </div>
          )}
        </Section>
      )}
      <iframe ref={frame} title={t("boxOffice.printFrame")} className="visually-hidden" />
    </Page>
  );
}
