import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import jsQR from "jsqr";

/**
 * Reads QR codes off rendered PDF pages, outside the Worker: poppler's
 * pdftoppm rasterises each page (greyscale, 100 dpi) and jsQR, the project's
 * independent decoder, reads the code in the pixels. Served on loopback to
 * tests in the Workers runtime: `POST /` with the PDF answers
 * `{"pages": [<decoded text or null>, …]}`.
 */
const run = promisify(execFile);

/** PGM (P5, 8-bit) → RGBA, as jsQR takes it. */
function pgmToRgba(pgm: Buffer): { data: Uint8ClampedArray; width: number; height: number } {
  const header = pgm.toString("latin1", 0, 64).match(/^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/);
  if (!header) throw new Error("not an 8-bit PGM");
  const [, w, h] = header;
  const width = Number(w);
  const height = Number(h);
  const pixels = pgm.subarray(header[0].length);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([pixels[i]!, pixels[i]!, pixels[i]!, 255], i * 4);
  return { data, width, height };
}

export async function decodePdfQrs(pdf: Uint8Array, dpi = 100): Promise<(string | null)[]> {
  const dir = mkdtempSync(join(tmpdir(), "pdf-qr-"));
  try {
    writeFileSync(join(dir, "in.pdf"), pdf);
    await run("pdftoppm", ["-r", String(dpi), "-gray", join(dir, "in.pdf"), join(dir, "page")]);
    return readdirSync(dir)
      .filter((name) => name.endsWith(".pgm"))
      .sort()
      .map((name) => {
        const { data, width, height } = pgmToRgba(readFileSync(join(dir, name)));
        return jsQR(data, width, height)?.data ?? null;
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startPdfQrDecoder(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      decodePdfQrs(new Uint8Array(Buffer.concat(chunks)))
        .then((pages) => {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ pages }));
        })
        .catch((error: Error) => {
          res.writeHead(500, { "Content-Type": "text/plain" });
          res.end(error.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
