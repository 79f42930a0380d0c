import { tick } from 'svelte';
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
  /** As shown in the help, each one a key or a sequence ("g r"). */
  keys: string[];
  /** What it does (the help's words: one place, ready for translation). */
  does: string;
  /** Where it works. */
  where: string;
}

export const shortcuts: Shortcut[] = [
  { command: 'help', keys: ['?'], does: 'Show or hide this list of shortcuts', where: 'everywhere' },
  { command: 'go-runs', keys: ['g r'], does: 'Go to Runs', where: 'everywhere' },
  { command: 'go-examples', keys: ['g e'], does: 'Go to Examples', where: 'everywhere' },
  { command: 'go-pools', keys: ['g p'], does: 'Go to Pools', where: 'everywhere' },
  { command: 'go-queues', keys: ['g q'], does: 'Go to Queues', where: 'everywhere' },
  { command: 'go-system', keys: ['g s'], does: 'Go to System', where: 'everywhere' },
  { command: 'search', keys: ['/'], does: 'Search: filter runs or processes', where: 'Runs, System' },
  { command: 'new-run', keys: ['n'], does: 'New run: open the launch form', where: 'Runs' },
  { command: 'run', keys: ['Ctrl+Enter'], does: 'Launch the command in the form', where: 'Runs' },
  { command: 'tree', keys: ['F5', 't'], does: 'Switch between table and tree', where: 'System' },
  { command: 'sort', keys: ['F6', '>'], does: 'Sort by the next column', where: 'System' },
  {
    command: 'signal',
    keys: ['F9', 'k'],
    does: 'Send a signal to the selected process',
    where: 'System',
  },
  {
    command: 'kill',
    keys: ['Delete'],
    does: 'Kill the selected process (asks first)',
    where: 'System',
  },
  {
    command: 'pause',
    keys: ['Space'],
    does: 'Pause or resume refreshing (not on a button)',
    where: 'System',
  },
];

/** Keys within a table or list, said in the help beside the shortcuts. */
export const movementKeys: { keys: string; does: string }[] = [
  { keys: 'Tab', does: 'Move between controls; a table or list is one stop' },
  { keys: '↑ ↓ Home End PgUp PgDn', does: 'Move between rows of the process table and the runs list' },
  { keys: '→ ←', does: 'Expand or collapse a process in the tree' },
  { keys: 'Esc', does: 'Close a dialog or this help' },
];

const goKeys: Record<string, SectionId> = { r: 'runs', e: 'examples', p: 'pools', q: 'queues', s: 'system' };
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
