const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The id a request's answer carries (X-Request-Id): the caller's if it is sane, else a new one. */
export const requestIdFor = (incoming: string | null | undefined): string => (incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID());
