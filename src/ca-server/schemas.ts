// The bodies `ca serve` accepts, as JSON Schemas compiled once. Anything else is REQUEST_INVALID
// before a token is looked up or a CSR parsed.
import { Ajv, type ValidateFunction } from "ajv";
import { ZtmcpError } from "../common/errors.js";
import { MAX_CSR_PEM_BYTES } from "../pki/csr.js";
import type { SignedRenewRequest } from "../pki/renew-request.js";

const ajv = new Ajv({ allErrors: false, strict: true });

const csr = { type: "string", minLength: 1, maxLength: MAX_CSR_PEM_BYTES } as const;
const pem = { type: "string", minLength: 1, maxLength: 16_384 } as const;

export interface EnrollBody {
  token: string;
  csr: string;
  name?: string;
}

/** mTLS renewal: the certificate is the connection's; the body only carries the new key's CSR. */
export interface MtlsRenewBody {
  csr: string;
}

export const enrollBody: ValidateFunction<EnrollBody> = ajv.compile<EnrollBody>({
  type: "object",
  required: ["token", "csr"],
  additionalProperties: false,
  properties: { token: { type: "string", minLength: 1, maxLength: 4096 }, csr, name: { type: "string", minLength: 1, maxLength: 64 } },
});

export const renewBody: ValidateFunction<MtlsRenewBody | SignedRenewRequest> = ajv.compile<MtlsRenewBody | SignedRenewRequest>({
  oneOf: [
    { type: "object", required: ["csr"], additionalProperties: false, properties: { csr } },
    {
      type: "object",
      required: ["payload", "chain", "signature"],
      additionalProperties: false,
      properties: {
        payload: { type: "string", minLength: 1, maxLength: 16_384 },
        chain: { type: "array", minItems: 1, maxItems: 3, items: pem },
        signature: { type: "string", minLength: 1, maxLength: 1024 },
      },
    },
  ],
});

export function validated<T>(validate: ValidateFunction<T>, body: unknown): T {
  if (validate(body)) return body;
  const err = validate.errors?.[0];
  throw new ZtmcpError("REQUEST_INVALID", `request body ${err?.instancePath || "/"}: ${err?.message ?? "invalid"}`);
}
