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
