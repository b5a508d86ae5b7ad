import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Env } from "../env.ts";
import { problems } from "../lib/errors.ts";

/**
 * Upload content checks. The declared Content-Type (or a multipart part's
 * type) is whatever the client says; what is stored and served is the type
 * read from the file's own first bytes, so a script or an SVG labelled as a
 * photo never reaches a browser as one.
 */
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;
export const DOCUMENT_TYPES = [...IMAGE_TYPES, "application/pdf"] as const;

export type ImageType = (typeof IMAGE_TYPES)[number];
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const MB = 1024 * 1024;
export const PHOTO_MAX_BYTES = 5 * MB;
export const VERIFICATION_FILE_MAX_BYTES = 10 * MB;

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/** The media type the bytes really are, among those accepted anywhere, or null. */
export function sniffType(bytes: Uint8Array): DocumentType | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  if (startsWith(bytes, ascii("%PDF-"))) return "application/pdf";
  return null;
}

/** The image type of `bytes` (JPEG, PNG or WebP), or null. */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  const type = sniffType(bytes);
  return type && (IMAGE_TYPES as readonly string[]).includes(type) ? (type as ImageType) : null;
}

/** The declared media type without parameters, lower-cased (`image/PNG; x=y` → `image/png`). */
export const mediaTypeOf = (header: string | undefined): string => (header ?? "").split(";")[0]!.trim().toLowerCase();

// ---------------------------------------------------------------- HTTP side of uploads, shared by every media route

/** OpenAPI content map documenting a binary body or response in each of `types`. */
export const binaryContent = (types: readonly string[]) =>
  Object.fromEntries(types.map((type) => [type, { schema: z.string().openapi({ type: "string", format: "binary" }) }]));


/** A raw image request body: declared as JPEG, PNG or WebP, and really one of them by its first bytes. */
export async function readImageBody(c: Context): Promise<{ bytes: Uint8Array; type: ImageType }> {
  if (!(IMAGE_TYPES as readonly string[]).includes(mediaTypeOf(c.req.header("Content-Type")))) {
    throw problems.unsupportedMediaType("Send the image with Content-Type image/jpeg, image/png or image/webp.");
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const type = sniffImage(bytes);
  if (!type) throw problems.unsupportedMediaType("The body is not a JPEG, PNG or WebP image.");
  return { bytes, type };
}

/**
 * Serves a public object of the MEDIA bucket with conditional GET. A
 * `versioned` URL names one upload (keys change with every upload), so it is
 * immutable and cached for a year; an unversioned one revalidates with the ETag.
 */
export async function serveMedia(c: Context, key: string, versioned: boolean, what: string): Promise<Response> {
  const object = await (c.env as Env).MEDIA.get(key, { onlyIf: c.req.raw.headers });
  if (!object) throw problems.notFound(what);
  const headers = {
    "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
    ETag: object.httpEtag,
    "Cache-Control": versioned ? "public, max-age=31536000, immutable" : "public, no-cache",
  };
  if (!("body" in object)) return c.body(null, 304, headers);
  return c.body(object.body, 200, headers);
}
