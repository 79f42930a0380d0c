import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExitInfo } from '../../contract';
import { listExamples } from '../../main/engine/examples/catalog';
import { describeExit } from '../../main/engine/exit-meaning';
import { exampleText } from '../../renderer/lib/features/examples/example-text';
import { formatDuration, formatCount } from '../../renderer/lib/components/format';
import { explainExit, explainExitInEnglish } from '../../renderer/lib/i18n/exit-meaning';
import { matchLocale } from '../../renderer/lib/i18n/locale';
import { overwriteGetLocale, type Locale } from '../../renderer/lib/i18n/paraglide/runtime.js';
import { chineseText, covers, fontFaces, wideCodePoints } from '../../scripts/cjk-font.mjs';

const root = join(import.meta.dirname, '../..');
const catalog = (locale: Locale): Record<string, string> =>
  JSON.parse(readFileSync(join(root, `renderer/lib/i18n/messages/${locale}.json`), 'utf8'));
const en = catalog('en');
const zh = catalog('zh-CN');

let current: Locale = 'en';
overwriteGetLocale(() => current);
afterEach(() => (current = 'en'));

describe('the catalogs', () => {
  const keys = (messages: Record<string, string>) => Object.keys(messages).filter((key) => key !== '$schema');

  it('have the same keys in English and Chinese', () => {
    expect(keys(zh).filter((key) => !(key in en))).toEqual([]);
    expect(keys(en).filter((key) => !(key in zh))).toEqual([]);
  });

  it('give each message the same inputs and the same `code` marks in both languages', () => {
    const inputs = (text: string) => [...text.matchAll(/{(\w+)}/g)].map((match) => match[1]).sort();
    const marks = (text: string) => text.split('`').length;
    for (const key of keys(en)) {
      expect(inputs(zh[key]!), key).toEqual(inputs(en[key]!));
      expect(marks(zh[key]!), key).toBe(marks(en[key]!));
      expect(zh[key]!.trim(), key).not.toBe('');
    }
  });

  it('translate: Chinese texts that are not Chinese are the exceptions, not the rule', () => {
    const untranslated = keys(en).filter((key) => zh[key] === en[key]);
    // Only texts made of symbols, units or names stay as they are (e.g. "{n} ms" is "{n} 毫秒").
    expect(untranslated).toEqual([]);
  });
});

describe('the language at start', () => {
  it('follows navigator.languages: the first one Forkscope has', () => {
    expect(matchLocale(['zh-CN', 'en-US'])).toBe('zh-CN');
    expect(matchLocale(['zh'])).toBe('zh-CN');
    expect(matchLocale(['zh-Hans-CN'])).toBe('zh-CN');
    expect(matchLocale(['fr-FR', 'zh-SG', 'en'])).toBe('zh-CN');
    expect(matchLocale(['en-GB', 'zh-CN'])).toBe('en');
    // Traditional Chinese readers are not given simplified characters.
    expect(matchLocale(['zh-TW', 'en'])).toBe('en');
    expect(matchLocale(['de-DE'])).toBe('en');
    expect(matchLocale([])).toBe('en');
  });
});

describe('exit codes and signals', () => {
  const exits: [number | null, string | null][] = [
    [0, null],
    [1, null],
    [2, null],
    [3, null],
    [126, null],
    [127, null],
    [130, null],
    [137, null],
    [141, null],
    [143, null],
    [200, null],
    [255, null],
    [null, null],
    ...[
      'SIGTERM',
      'SIGKILL',
      'SIGINT',
      'SIGHUP',
      'SIGQUIT',
      'SIGSEGV',
      'SIGABRT',
      'SIGBUS',
      'SIGFPE',
      'SIGILL',
      'SIGPIPE',
      'SIGALRM',
      'SIGUSR1',
      'SIGUSR2',
      'SIGXCPU',
      'SIGWINCH',
    ].map((signal) => [null, signal] as [null, string]),
  ];
  const causes: ExitInfo['stoppedBy'][] = [null, 'terminate', 'kill', 'timeout', 'shutdown'];
  const cases = exits.flatMap(([code, signal]) => causes.map((cause) => describeExit(code, signal, cause)));

  it('say in English exactly what the engine says, for every code, signal and cause', () => {
    for (const exit of cases) expect(explainExitInEnglish(exit)).toBe(exit.meaning);
  });

  it('are said in Chinese by code, signal and cause', () => {
    current = 'zh-CN';
    expect(explainExit(describeExit(137, null, null))).toBe('它的一个子进程死于 SIGKILL（137 = 128 + 9）');
    expect(explainExit(describeExit(null, 'SIGTERM', 'terminate'))).toBe(
      '被要求停止（SIGTERM），由“终止”发起',
    );
    expect(explainExit(describeExit(127, null, null))).toBe('找不到命令（127）');
    for (const exit of cases) expect(explainExit(exit)).not.toBe(exit.meaning);
  });

  it('keep the engine’s sentence when it says something the renderer does not know', () => {
    current = 'zh-CN';
    const newer = { ...describeExit(1, null, null), meaning: 'failed in a way only a newer engine knows' };
    expect(explainExit(newer)).toBe(newer.meaning);
  });
});

describe('the examples', () => {
  const dirs = {
    programs: join(root, 'main/engine/examples/programs'),
    python: join(root, 'main/engine/examples/python'),
  };
  const listed = listExamples(dirs);

  it('have their words in both languages, the English equal to the engine’s', () => {
    expect(listed.length).toBeGreaterThanOrEqual(14);
    for (const example of listed) {
      current = 'en';
      expect(exampleText(example), example.id).toEqual({ title: example.title, summary: example.summary });
      current = 'zh-CN';
      const chinese = exampleText(example);
      expect(chinese.title, example.id).not.toBe(example.title);
      expect(chinese.summary, example.id).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe('numbers and durations', () => {
  it('follow the language', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(125_000)).toBe('2 m 5 s');
    current = 'zh-CN';
    expect(formatDuration(850)).toBe('850 毫秒');
    expect(formatDuration(125_000)).toBe('2 分 5 秒');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});

describe('the Chinese font', () => {
  const shipped = fontFaces(readFileSync(join(root, 'renderer/fonts/noto-sans-sc.css'), 'utf8'));

  it('ships a part for every character the UI draws in Chinese (else: node scripts/cjk-font.mjs)', () => {
    const codes = wideCodePoints(chineseText()) as number[];
    const missing = codes.filter((code) => !shipped.some((face) => covers(face, code)));
    expect(missing.map((code) => String.fromCodePoint(code))).toEqual([]);
  });

  it('is a subset: only some of the font’s parts', () => {
    const all = fontFaces(readFileSync(join(root, 'node_modules/@fontsource/noto-sans-sc/400.css'), 'utf8'));
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped.length).toBeLessThan(all.length / 2);
  });
});

/**
 * The converted components hold no user-visible English of their own: text between tags and the
 * title, aria-label, placeholder and alt attributes come from messages.
 */
const converted = [
  'renderer/App.svelte',
  'renderer/lib/components/AlertRegion.svelte',
  'renderer/lib/shell/Sidebar.svelte',
  'renderer/lib/shell/HelpOverlay.svelte',
  'renderer/lib/shell/ViewHelp.svelte',
  'renderer/lib/shell/ConnectionBadge.svelte',
  'renderer/lib/shell/ThemeToggle.svelte',
  'renderer/lib/shell/LanguagePicker.svelte',
  'renderer/lib/features/examples/ExamplesView.svelte',
  'renderer/lib/features/examples/ExampleCard.svelte',
  'renderer/lib/features/runs/LaunchForm.svelte',
  'renderer/lib/features/runs/ExitBadge.svelte',
  'renderer/lib/features/runs/RunsView.svelte',
  'renderer/lib/features/runs/RunsList.svelte',
  'renderer/lib/features/runs/RunTreeItem.svelte',
  'renderer/lib/features/runs/RunPanel.svelte',
  'renderer/lib/features/runs/RunDetails.svelte',
  'renderer/lib/features/runs/RunConsole.svelte',
  'renderer/lib/features/runs/OutputView.svelte',
  'renderer/lib/features/runs/StdinBox.svelte',
  'renderer/lib/features/runs/KillRunDialog.svelte',
  'renderer/lib/features/runs/ContainmentLine.svelte',
  'renderer/lib/features/python/LensPanel.svelte',
  'renderer/lib/features/python/WatchedNote.svelte',
  'renderer/lib/features/system/SystemView.svelte',
  'renderer/lib/features/system/SystemToolbar.svelte',
  'renderer/lib/features/system/ProcessGrid.svelte',
  'renderer/lib/features/hosts/HostPicker.svelte',
  'renderer/lib/features/hosts/AddHostForm.svelte',
  'renderer/lib/features/pools/CreatePoolForm.svelte',
  'renderer/lib/features/system/DetailsPanel.svelte',
  'renderer/lib/features/system/KillDialog.svelte',
  'renderer/lib/features/pools/PoolDetail.svelte',
  'renderer/lib/features/pools/PoolControls.svelte',
  'renderer/lib/features/pools/PoolProgress.svelte',
  'renderer/lib/features/pools/PoolsView.svelte',
  'renderer/lib/features/pools/TaskDetails.svelte',
  'renderer/lib/features/pools/FleetAgents.svelte',
  'renderer/lib/features/pools/TaskTable.svelte',
  'renderer/lib/features/pools/GanttChart.svelte',
  'renderer/lib/features/queues/QueuesView.svelte',
  'renderer/lib/features/queues/CreateQueueForm.svelte',
  'renderer/lib/features/queues/QueueDetail.svelte',
  'renderer/lib/features/queues/QueueControls.svelte',
  'renderer/lib/features/queues/BlockedList.svelte',
  'renderer/lib/features/queues/QueueLanes.svelte',
  'renderer/lib/features/queues/DepthChart.svelte',
  'renderer/lib/features/queues/TimeAxis.svelte',
  'renderer/lib/features/queues/ItemTable.svelte',
  'renderer/lib/features/replay/ReplayView.svelte',
  'renderer/lib/features/replay/OpenRecording.svelte',
  'renderer/lib/features/replay/ReplayState.svelte',
  'renderer/lib/features/replay/ComparePanel.svelte',
  'renderer/lib/features/replay/TimeBars.svelte',
  'renderer/lib/features/system/DescendantsPanel.svelte',
  'renderer/lib/features/system/DescendantTimeline.svelte',
  'renderer/lib/features/system/HistoryGraph.svelte',
  'renderer/lib/features/system/RunOutputTail.svelte',
  'renderer/lib/components/Legend.svelte',
];
/** Words that are the same in every language: the name. */
const allowed = new Set(['Forkscope']);

/** Removes {expressions}, counting nested braces (template literals inside included). */
function withoutExpressions(markup: string): string {
  let out = '';
  let depth = 0;
  for (const char of markup) {
    if (char === '{') depth++;
    if (depth === 0) out += char;
    if (char === '}') depth = Math.max(0, depth - 1);
  }
  return out;
}

export function hardCodedText(source: string): string[] {
  const markup = withoutExpressions(
    source
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<style[\s\S]*?<\/style>/g, '')
      .replace(/<!--[\s\S]*?-->/g, '')
      // What is typed stays as typed: code and key caps; and entities are not words.
      .replace(/<(code|kbd)>[\s\S]*?<\/\1>/g, '')
      .replace(/&\w+;/g, ' '),
  );
  const found: string[] = [];
  for (const [, value] of markup.matchAll(/\s(?:title|aria-label|placeholder|alt|label)="([^"]*)"/g)) {
    if (/[A-Za-z]{2,}/.test(value!)) found.push(value!.trim());
  }
  const text = markup.replace(/<[^>]*>/g, '\n');
  for (const word of text.match(/[A-Za-z][A-Za-z'’-]+/g) ?? []) if (!allowed.has(word)) found.push(word);
  return found;
}

describe('hard-coded text', () => {
  it('is found by the scan (a component with English in it)', () => {
    expect(hardCodedText('<script>const a = "x";</script><p title="Close it">Hello {m.x()}</p>')).toEqual([
      'Close it',
      'Hello',
    ]);
    expect(
      hardCodedText('<p>{m.x({ a: `b ${c}` })}&nbsp;<kbd>Ctrl</kbd>+<kbd>Enter</kbd> <code>npm</code></p>'),
    ).toEqual([]);
  });

  it.each(converted)('is absent from %s', (file) => {
    expect(hardCodedText(readFileSync(join(root, file), 'utf8'))).toEqual([]);
  });
});
