import type { ForkscopeChildApi } from './forkscope-global';

declare global {
  /** Present in every child Forkscope forks (see forkscope-global.ts). */
  var forkscope: ForkscopeChildApi;
}
