import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
// Chinese glyphs for the UI font stack, only the parts of the font the words use (scripts/cjk-font.mjs).
import './fonts/noto-sans-sc.css';
import { chineseFontLoaded } from './lib/i18n/chinese-font';
import { locale } from './lib/i18n/locale.svelte';

async function start() {
  if (locale.current === 'zh-CN') await chineseFontLoaded();
  mount(App, { target: document.getElementById('app')! });
}

void start();
