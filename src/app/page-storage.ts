import { storageAvailable } from '../smart/storage-available';

/**
 * A Web Storage that lives as long as the page: what the audit outbox uses when the browser denies
 * the EHR's cross-site iframe its sessionStorage (undelivered events then survive retries, not a
 * reload). Never localStorage: events name a patient.
 */
export class PageMemoryStorage implements Storage {
  readonly #values = new Map<string, string>();

  get length(): number {
    return this.#values.size;
  }

  clear(): void {
    this.#values.clear();
  }

  getItem(key: string): string | null {
    return this.#values.get(key) ?? null;
  }

  key(index: number): string | null {
    return [...this.#values.keys()][index] ?? null;
  }

  removeItem(key: string): void {
    this.#values.delete(key);
  }

  setItem(key: string, value: string): void {
    this.#values.set(key, String(value));
  }
}

/** sessionStorage when this page may use it, else a {@link PageMemoryStorage}. */
export function sessionStorageOrMemory(): Storage {
  return storageAvailable() ? window.sessionStorage : new PageMemoryStorage();
}
