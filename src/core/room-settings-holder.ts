import { settingsFrom, type RoomSettings } from '../protocol/index.js';
import { liveRecord, type RoomRecord, type RoomStateStore } from './broker/room-state.js';

/** The room record that holds a room's settings (see RoomStateStore). */
export const SETTINGS_KEY = 'settings';

/**
 * One room's settings on this node: read from the shared store when the room is made, then
 * kept current by the store's announcements. Null while not known (the store could not be
 * read): callers then treat the room as private for listing, and fail closed.
 */
export class RoomSettingsHolder {
  private value: RoomSettings | null = null;
  private read = false;
  /** Settles once the first read is done, whether it worked or not. */
  readonly loaded: Promise<void>;

  constructor(
    private readonly room: string,
    private readonly store: RoomStateStore,
    /** The room turned private (true) or public (false). */
    private readonly onPrivacyChanged: (isPrivate: boolean) => void,
    /**
     * Resolves once this node hears the room's announcements (the broker's watch): read only then,
     * so no change can fall between the read and the first announcement.
     */
    subscribed: Promise<void> | null = null,
  ) {
    this.loaded = this.load(subscribed);
  }

  get current(): RoomSettings | null {
    return this.value;
  }

  get isRead(): boolean {
    return this.read;
  }

  apply(settings: RoomSettings): void {
    const was = this.value?.private ?? null;
    this.value = settings;
    if (was !== settings.private) this.onPrivacyChanged(settings.private);
  }

  /** Reads the settings again (after the bus came back: changes made meanwhile were not announced here). */
  async reload(): Promise<void> {
    try {
      this.apply(settingsFrom(liveRecord(await this.store.get(this.room, SETTINGS_KEY))?.value));
    } catch {
      // Still unreachable: the last settings known stay in force.
    }
  }

  /** Read at once from a store in this process, so a new room's first join waits for nothing. */
  private load(subscribed: Promise<void> | null): Promise<void> {
    const done = (record: RoomRecord | null) => {
      // An announcement that came first is newer than what was read.
      if (this.value === null) this.value = settingsFrom(liveRecord(record)?.value);
      this.read = true;
    };
    const failed = () => {
      this.read = true;
    };
    if (this.store.getNow) {
      try {
        done(this.store.getNow(this.room, SETTINGS_KEY));
      } catch {
        failed();
      }
      return Promise.resolve();
    }
    return (subscribed ?? Promise.resolve()).then(() => this.store.get(this.room, SETTINGS_KEY)).then(done, failed);
  }
}
