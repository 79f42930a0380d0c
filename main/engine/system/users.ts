import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/** uid → user name, from /etc/passwd (read once, re-read when an unknown uid shows up, at most every 10 s). */
export class UserNames {
  private names = new Map<number, string>();
  private loadedAt = 0;

  name(uid: number | null): string {
    if (uid === null) return '?';
    let name = this.names.get(uid);
    if (name === undefined && Date.now() - this.loadedAt > 10_000) {
      this.load();
      name = this.names.get(uid);
    }
    return name ?? String(uid);
  }

  private load(): void {
    this.loadedAt = Date.now();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const [name, , uid] = line.split(':');
        if (name && uid && /^\d+$/.test(uid)) this.names.set(Number(uid), name);
      }
    } catch {
      // No passwd file (Windows): fall back to our own name.
    }
    try {
      const me = userInfo();
      if (me.uid >= 0 && !this.names.has(me.uid)) this.names.set(me.uid, me.username);
    } catch {
      // No user (some containers): uids are shown as numbers.
    }
  }
}
