import { fromBase64Url } from "./encoding.ts";

/**
 * The DER bytes of every PEM block with this label (`CERTIFICATE`,
 * `PRIVATE KEY`), in order; configuration often stores PEMs with escaped
 * newlines (`\n`), which are accepted too.
 */
export function pemBlocks(pem: string, label: string): Uint8Array[] {
  const text = pem.replace(/\\n/g, "\n");
  const pattern = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, "g");
  return [...text.matchAll(pattern)].map((match) => fromBase64Url(match[1]!.replace(/\s+/g, "").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")));
}

/** DER → PEM with 64-character lines. */
export function toPem(der: Uint8Array, label: string): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const body = btoa(binary).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
