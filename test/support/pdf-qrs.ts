import { inject } from "vitest";

/** The QR code of each page of a PDF, as poppler draws it and jsQR reads it (test/support/pdf-qr.ts, in Node). */
export async function pageQrs(pdf: Uint8Array): Promise<(string | null)[]> {
  const response = await fetch(inject("pdfQrUrl"), { method: "POST", body: pdf });
  if (!response.ok) throw new Error(`pdf decoder: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { pages: (string | null)[] }).pages;
}
