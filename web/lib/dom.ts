/** The element with this id, or a clear error: the HTML and the script belong together. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

/** Creates an element with text content only: user input never becomes HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** localStorage that keeps working when storage is disabled (private modes, policies). */
export const store = {
  get(key: string): string | null {
    try {
      return localStorage.getItem(`beamcast.${key}`);
    } catch {
      return null;
    }
  },
  set(key: string, value: string): void {
    try {
      localStorage.setItem(`beamcast.${key}`, value);
    } catch {
      // Remembering is a convenience; the page works without it.
    }
  },
};
