/** Viewer counts of one room on the other nodes, by node id. */
export class RoomPresence {
  private readonly counts = new Map<string, number>();
  remote = 0;

  constructor(private readonly self: string) {}

  /** Sets one node's count; true when the sum changed. */
  set(node: string, count: number): boolean {
    if (node === this.self || !Number.isFinite(count)) return false;
    if (count > 0) this.counts.set(node, count);
    else this.counts.delete(node);
    return this.recount();
  }

  /** Replaces every node's count (a fresh read); true when the sum changed. */
  replace(entries: [string, number][]): boolean {
    this.counts.clear();
    for (const [node, count] of entries) if (node !== this.self && count > 0) this.counts.set(node, count);
    return this.recount();
  }

  private recount(): boolean {
    let sum = 0;
    for (const c of this.counts.values()) sum += c;
    const changed = sum !== this.remote;
    this.remote = sum;
    return changed;
  }
}
