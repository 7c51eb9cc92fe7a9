/** The mark that tells apart two people of one name: `#` and the first four characters of the id. */
export const tagOf = (id: string): string => `#${id.slice(0, 4)}`;

const keyOf = (name: string): string => name.trim().toLowerCase();

/**
 * Which names the page has seen for more than one id (in the chat and the viewer list): those
 * are shown with the id's tag. Names are not unique and prove nothing; ids are.
 */
export class NameTags {
  private readonly ids = new Map<string, Set<string>>();
  private readonly listeners: ((nameKey: string) => void)[] = [];

  /** Notes a name for an id; listeners hear of a name that just became shared. */
  see(name: string, id: string): void {
    if (id === 'server') return;
    const key = keyOf(name);
    let set = this.ids.get(key);
    if (!set) this.ids.set(key, (set = new Set()));
    if (set.has(id)) return;
    set.add(id);
    if (set.size === 2) for (const l of this.listeners) l(key);
  }

  /** The tag to show after this name for this id, or '' while the name is one person's. */
  tag(name: string, id: string): string {
    return (this.ids.get(keyOf(name))?.size ?? 0) > 1 ? tagOf(id) : '';
  }

  onShared(listener: (nameKey: string) => void): void {
    this.listeners.push(listener);
  }

  static key = keyOf;
}
