// Option defaults from ZTMCP_* variables, read explicitly (see main.ts on why not yargs' .env()).
export const env = (name: string): string | undefined => process.env[`ZTMCP_${name}`] || undefined;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
