/** The family scripts/cjk-font.mjs declares (renderer/fonts/noto-sans-sc.css), in parts by unicode-range. */
const family = 'Noto Sans SC';
/** Past this the UI is drawn anyway: a missing font must not keep the window blank. */
const patienceMs = 3000;

let loading: Promise<void> | null = null;

/**
 * Loads every part of the UI's Chinese font, once. Left to load lazily, a part is fetched only when
 * a text first needs it, and Chromium sometimes keeps the boxes (tofu) it drew meanwhile: in
 * 简体中文 a few labels (the current section, a heading, a button) stayed as boxes. The parts hold
 * only the characters the UI uses (≈ 0.5 MB), so the Chinese UI waits for all of them before it
 * is first drawn, and the language picker before it switches to it.
 */
export function chineseFontLoaded(): Promise<void> {
  loading ??= Promise.race([
    Promise.all(
      [...document.fonts]
        .filter((face) => face.family.replace(/^["']|["']$/g, '') === family)
        .map((face) => face.load().catch(() => face)),
    ).then(() => undefined),
    new Promise<void>((resolve) => setTimeout(resolve, patienceMs)),
  ]);
  return loading;
}
