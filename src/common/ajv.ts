// One Ajv instance for every JSON Schema we compile (policy, gateway config, CA requests), so
// options and formats are set in one place.
import { Ajv } from "ajv";

export const ajv = new Ajv({ allErrors: false, strict: true });
