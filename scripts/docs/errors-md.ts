// Writes docs/errors.md from the error table (src/common/errors.ts): `make docs`.
import { writeFileSync } from "node:fs";
import { renderErrorsMarkdown } from "./render-errors.js";

writeFileSync(new URL("../../docs/errors.md", import.meta.url), renderErrorsMarkdown());
