import { tick } from 'svelte';
import { m } from '../i18n/messages';
import { getLocale } from '../i18n/paraglide/runtime.js';
import { sectionLabel } from './section-labels';
import { navigation } from './navigation.svelte';
import type { SectionId } from './sections';

/**
 * Every keyboard shortcut of the app, and the one listener that carries them out. Views do not
 * listen to the keyboard themselves: they say what each command means while they are shown
 * (`useCommands`), and this module decides when a key is a command.
 */
export type Command =
  'help' | 'search' | 'tree' | 'signal' | 'sort' | 'pause' | 'kill' | 'run' | 'new-run' | `go-${SectionId}`;

export interface Shortcut {
  command: Command;
  /** As shown in the help, each one a key or a sequence ("g r"); key names stay as on the keyboard. */
  keys: string[];
  /** What it does, in the current language. */
  does: () => string;
  /** Where it works: these sections, or everywhere (null). */
  where: SectionId[] | null;
}

const goTo = (section: SectionId) => () =>
  m.shortcut_go({ section: sectionLabel({ id: section, label: section }) });

export const shortcuts: Shortcut[] = [
  { command: 'help', keys: ['?'], does: m.shortcut_help, where: null },
  { command: 'go-runs', keys: ['g r'], does: goTo('runs'), where: null },
  { command: 'go-examples', keys: ['g e'], does: goTo('examples'), where: null },
  { command: 'go-pools', keys: ['g p'], does: goTo('pools'), where: null },
  { command: 'go-queues', keys: ['g q'], does: goTo('queues'), where: null },
  { command: 'go-system', keys: ['g s'], does: goTo('system'), where: null },
  // Recordings: r is taken by Runs, so the c of reCordings.
  { command: 'go-replay', keys: ['g c'], does: goTo('replay'), where: null },
  { command: 'search', keys: ['/'], does: m.shortcut_search, where: ['runs', 'system'] },
  { command: 'new-run', keys: ['n'], does: m.shortcut_new_run, where: ['runs'] },
  { command: 'run', keys: ['Ctrl+Enter'], does: m.shortcut_run, where: ['runs'] },
  { command: 'tree', keys: ['F5', 't'], does: m.shortcut_tree, where: ['system'] },
  { command: 'sort', keys: ['F6', '>'], does: m.shortcut_sort, where: ['system'] },
  { command: 'signal', keys: ['F9', 'k'], does: m.shortcut_signal, where: ['system'] },
  { command: 'kill', keys: ['Delete'], does: m.shortcut_kill, where: ['runs', 'system'] },
  { command: 'pause', keys: ['Space'], does: m.shortcut_pause, where: ['system'] },
];

/** A shortcut's "where", in the current language: "Runs, System", "运行、系统", "everywhere". */
export function whereIt(shortcut: Shortcut): string {
  if (!shortcut.where) return m.help_everywhere();
  const names = shortcut.where.map((id) => sectionLabel({ id, label: id }));
  return new Intl.ListFormat(getLocale(), { style: 'narrow', type: 'conjunction' }).format(names);
}

/** Keys within a table or list, said in the help beside the shortcuts. */
export const movementKeys: { keys: string; does: () => string }[] = [
  { keys: 'Tab', does: m.move_tab },
  { keys: '↑ ↓ Home End PgUp PgDn', does: m.move_rows },
  { keys: '→ ←', does: m.move_tree },
  { keys: 'Esc', does: m.move_esc },
];

const goKeys: Record<string, SectionId> = {
  r: 'runs',
  e: 'examples',
  p: 'pools',
  q: 'queues',
  s: 'system',
  c: 'replay',
};
/** How long after `g` the second key of a sequence counts. */
const sequenceMs = 1500;

type Handler = () => boolean | void;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color'].includes(target.type);
  }
  return false;
}

/** Space keeps its own meaning on anything it presses or toggles (not on a process row: Enter selects). */
function spaceHasMeaning(target: EventTarget | null): boolean {
  return (
    target instanceof Element &&
    target.closest('button, a, input, select, textarea, summary, [role="option"]') !== null
  );
}

class Keyboard {
  helpOpen = $state(false);
  private handlers = new Map<SectionId, Partial<Record<Command, Handler>>>();
  private gPressedAt = 0;

  /** A view's meaning for some commands, while it is shown; returns the way to withdraw it. */
  provide(section: SectionId, handlers: Partial<Record<Command, Handler>>): () => void {
    this.handlers.set(section, handlers);
    return () => {
      if (this.handlers.get(section) === handlers) this.handlers.delete(section);
    };
  }

  /** Which command a key press is, or null. */
  commandOf(event: KeyboardEvent): Command | null {
    if (event.altKey) return null;
    const typing = isTyping(event.target);
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter') return 'run';
    if (event.ctrlKey || event.metaKey) return null;
    switch (event.key) {
      case 'F5':
        return 'tree';
      case 'F6':
        return 'sort';
      case 'F9':
        return 'signal';
    }
    if (typing) return null;
    if (this.gPressedAt && Date.now() - this.gPressedAt < sequenceMs) {
      this.gPressedAt = 0;
      const section = goKeys[event.key];
      return section ? `go-${section}` : null;
    }
    switch (event.key) {
      case 'g':
        this.gPressedAt = Date.now();
        return null;
      case '?':
        return 'help';
      case '/':
        return 'search';
      case 't':
        return 'tree';
      case '>':
        return 'sort';
      case 'k':
        return 'signal';
      case 'n':
        return 'new-run';
      case 'Delete':
        return 'kill';
      case ' ':
        return spaceHasMeaning(event.target) ? null : 'pause';
    }
    return null;
  }

  /** The app's one keydown listener (App.svelte installs it on window). */
  readonly onkeydown = (event: KeyboardEvent): void => {
    if (event.defaultPrevented || event.isComposing) return;
    const command = this.commandOf(event);
    if (!command) return;
    if (this.run(command)) event.preventDefault();
  };

  /** Carries out a command; false when it means nothing here (the key then keeps its own meaning). */
  run(command: Command): boolean {
    if (command === 'help') {
      this.helpOpen = !this.helpOpen;
      return true;
    }
    // While the help is open, the keys belong to it.
    if (this.helpOpen) return false;
    if (command.startsWith('go-')) {
      navigation.section = command.slice(3) as SectionId;
      // The view's own region takes the focus, so Tab goes on from there.
      void tick().then(() => document.querySelector<HTMLElement>('main')?.focus());
      return true;
    }
    const handler = this.handlers.get(navigation.section)?.[command];
    return handler ? handler() !== false : false;
  }
}

export const keyboard = new Keyboard();

/** Called in a view's script: these commands mean this while the view is shown. */
export function useCommands(section: SectionId, handlers: Partial<Record<Command, Handler>>): void {
  $effect(() => keyboard.provide(section, handlers));
}

/** Focuses an element once the page has caught up (after a view or a form appears). */
export function focusSoon(selector: string): void {
  void tick().then(() => document.querySelector<HTMLElement>(selector)?.focus());
}
