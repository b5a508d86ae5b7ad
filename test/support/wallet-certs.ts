import { generateKeyPairSync } from "node:crypto";
import * as asn1js from "asn1js";
import { AttributeTypeAndValue, BasicConstraints, Certificate, Extension } from "pkijs";
import { toPem } from "../../src/lib/crypto/pem.ts";

/**
 * A throwaway signing identity for wallet tests, made fresh for each run by
 * vitest.config.ts: a root CA standing for Apple's, an intermediate standing
 * for the WWDR certificate, and a pass-type leaf with its RSA key (pkijs over
 * Node's WebCrypto); and an RSA service-account key for Google Wallet.
 */
export interface WalletTestIdentity {
  APPLE_PASS_CERTIFICATE: string;
  APPLE_PASS_PRIVATE_KEY: string;
  APPLE_WWDR_CERTIFICATE: string;
  /** The root the pass signature must chain to (tests only). */
  TEST_WALLET_ROOT_CA: string;
  GOOGLE_WALLET_PRIVATE_KEY: string;
  /** Its public half, to verify the save JWT (tests only). */
  TEST_GOOGLE_WALLET_PUBLIC_KEY: string;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };

async function certificate(subject: string, issuer: { name: string; key: CryptoKey } | null, keys: CryptoKeyPair, serial: number, ca: boolean): Promise<Certificate> {
  const cert = new Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: serial });
  const name = (cn: string) => [new AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: cn }) })];
  cert.subject.typesAndValues = name(subject);
  cert.issuer.typesAndValues = name(issuer?.name ?? subject);
  cert.notBefore.value = new Date(Date.now() - 86_400_000);
  cert.notAfter.value = new Date(Date.now() + 365 * 86_400_000);
  cert.extensions = [new Extension({ extnID: "2.5.29.19", critical: true, extnValue: new BasicConstraints({ cA: ca }).toSchema().toBER(false), parsedValue: new BasicConstraints({ cA: ca }) })];
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(issuer?.key ?? keys.privateKey, "SHA-256");
  return cert;
}

export async function walletTestIdentity(): Promise<WalletTestIdentity> {
  // pkijs signs with globalThis.crypto, Node's WebCrypto here.
  const subtle = crypto.subtle;
  const [root, wwdr, leaf] = await Promise.all([0, 1, 2].map(() => subtle.generateKey(RSA, true, ["sign", "verify"]) as Promise<CryptoKeyPair>));
  const rootCert = await certificate("Test Root CA", null, root!, 1, true);
  const wwdrCert = await certificate("Test WWDR Intermediate", { name: "Test Root CA", key: root!.privateKey }, wwdr!, 2, true);
  const leafCert = await certificate("Pass Type ID: pass.dev.edge-events.test", { name: "Test WWDR Intermediate", key: wwdr!.privateKey }, leaf!, 3, false);
  const der = (cert: Certificate) => new Uint8Array(cert.toSchema(true).toBER(false));
  const google = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    APPLE_PASS_CERTIFICATE: toPem(der(leafCert), "CERTIFICATE"),
    APPLE_PASS_PRIVATE_KEY: toPem(new Uint8Array((await subtle.exportKey("pkcs8", leaf!.privateKey)) as ArrayBuffer), "PRIVATE KEY"),
    APPLE_WWDR_CERTIFICATE: toPem(der(wwdrCert), "CERTIFICATE"),
    TEST_WALLET_ROOT_CA: toPem(der(rootCert), "CERTIFICATE"),
    GOOGLE_WALLET_PRIVATE_KEY: google.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    TEST_GOOGLE_WALLET_PUBLIC_KEY: google.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}
