import { generateKeyPairSync, randomBytes } from "node:crypto";

/**
 * Fresh secrets for a test run or a local environment: an Ed25519 signing key
 * with a kid, a password pepper and a data-encryption key. Nothing real is reused.
 */
export function generateSecrets(kid = `local-${Date.now().toString(36)}`) {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = { ...privateKey.export({ format: "jwk" }), kid };
  return {
    JWT_SIGNING_KEYS: JSON.stringify([jwk]),
    PASSWORD_PEPPER: randomBytes(32).toString("base64"),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    FACEBOOK_APP_SECRET: randomBytes(16).toString("hex"),
  };
}

// `npm run secrets:generate -- <kid>` prints a fresh set as JSON, the input of `wrangler secret bulk`.
if (import.meta.main) console.log(JSON.stringify(generateSecrets(process.argv[2]), null, 2));
