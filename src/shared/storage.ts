/**
 * The small key-value interface the admins and bans stores are written against (as openauth's
 * StorageAdapter): one implementation over a Workers KV binding, one in memory for tests.
 * Must not add behaviour KV lacks (no compare-and-set, no read-your-writes elsewhere).
 */

/** KV refuses a key that expires less than 60 s from now (`expirationTtl`, or `expiration` by KV's clock). */
export const KV_EXPIRATION_MIN_SECONDS = 60;

export interface StoredEntry {
  value: string;
  /** The key's metadata (KV: at most 1024 bytes of JSON), or null. */
  metadata: unknown;
}

export interface ListedKey {
  name: string;
  metadata: unknown;
}

export interface ListPage {
  keys: ListedKey[];
  /** Where the next page starts; undefined on the last page. */
  cursor: string | undefined;
}

export interface PutOptions {
  metadata?: unknown;
  /** Unix seconds when the key goes away (KV: at least 60 s ahead). */
  expiresAtSeconds?: number;
}

export interface KeyValueStore {
  /** The value and metadata, or null when there is no such key. */
  get(key: string): Promise<StoredEntry | null>;
  put(key: string, value: string, options?: PutOptions): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, in lexicographic order, at most `limit` per page. */
  list(prefix: string, options: { limit: number; cursor?: string | undefined }): Promise<ListPage>;
}

/** The part of a Workers KV binding kvStore uses (so this file needs no Workers types). */
interface KvBinding {
  getWithMetadata(key: string): Promise<{ value: string | null; metadata: unknown }>;
  put(key: string, value: string, options?: { metadata?: unknown; expiration?: number }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options: {
    prefix: string;
    limit: number;
    cursor?: string;
  }): Promise<{ keys: { name: string; metadata?: unknown }[]; list_complete: boolean; cursor?: string }>;
}

/** The store over one Workers KV binding. */
export function kvStore(kv: KvBinding): KeyValueStore {
  return {
    async get(key) {
      const { value, metadata } = await kv.getWithMetadata(key);
      return value === null ? null : { value, metadata };
    },
    async put(key, value, options = {}) {
      await kv.put(key, value, {
        ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
        ...(options.expiresAtSeconds !== undefined ? { expiration: options.expiresAtSeconds } : {}),
      });
    },
    async delete(key) {
      await kv.delete(key);
    },
    async list(prefix, { limit, cursor }) {
      const page = await kv.list({ prefix, limit, ...(cursor ? { cursor } : {}) });
      return {
        keys: page.keys.map((key) => ({ name: key.name, metadata: key.metadata ?? null })),
        cursor: page.list_complete ? undefined : page.cursor,
      };
    },
  };
}

export type StoreOperation = "get" | "put" | "delete" | "list";

export interface MemoryStore extends KeyValueStore {
  readonly entries: Map<string, StoredEntry & { expiresAtSeconds: number | undefined }>;
  /**
   * Runs before every operation, with its name and key (the prefix for a list): throw, or return a
   * promise that rejects or never settles, to make that operation fail or hang.
   */
  before: ((operation: StoreOperation, key: string) => void | Promise<void>) | undefined;
}

/** A store in memory, for tests: the same contract, and failures on demand. */
export function memoryStore(): MemoryStore {
  const entries: MemoryStore["entries"] = new Map();
  const store: MemoryStore = {
    entries,
    before: undefined,
    async get(key) {
      await store.before?.("get", key);
      const entry = entries.get(key);
      return entry ? { value: entry.value, metadata: entry.metadata } : null;
    },
    async put(key, value, options = {}) {
      await store.before?.("put", key);
      entries.set(key, { value, metadata: options.metadata ?? null, expiresAtSeconds: options.expiresAtSeconds });
    },
    async delete(key) {
      await store.before?.("delete", key);
      entries.delete(key);
    },
    async list(prefix, { limit, cursor }) {
      await store.before?.("list", prefix);
      const names = [...entries.keys()].filter((name) => name.startsWith(prefix)).sort();
      const start = cursor === undefined ? 0 : Number(cursor);
      const keys = names
        .slice(start, start + limit)
        .map((name) => ({ name, metadata: entries.get(name)?.metadata ?? null }));
      const next = start + limit;
      return { keys, cursor: next < names.length ? String(next) : undefined };
    },
  };
  return store;
}
