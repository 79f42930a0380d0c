import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
// Chinese glyphs for the UI font stack, only the parts of the font the words use (scripts/cjk-font.mjs).
import './fonts/noto-sans-sc.css';

mount(App, { target: document.getElementById('app')! });
