// The one place that picks a store implementation. Callers say where the CA's state lives; a
// PostgreSQL store becomes one more `kind` here and nothing above changes.
import type { CaSettings, CaStore } from "./store.js";
import { SqliteStore } from "./sqlite.js";

export interface StoreConfig {
  kind: "sqlite";
  /** The database file (ca/ca.db). */
  path: string;
  /** Read only: never migrates or writes (list, show). */
  readonly?: boolean;
  /** The clock of audit rows. */
  now?: () => Date;
}

/** Opens an existing store (CA_NOT_FOUND, STORE_* errors). */
export function openStore(config: StoreConfig): CaStore {
  return SqliteStore.open(config.path, { readonly: config.readonly ?? false, ...(config.now ? { now: config.now } : {}) });
}

/** Creates a new, empty store holding the CA's settings (CA_EXISTS when one is there). */
export function createStore(config: StoreConfig, settings: CaSettings): CaStore {
  return SqliteStore.create(config.path, settings, config.now ? { now: config.now } : {});
}
