/**
 * The bridge: the typed client of contract/client.ts over one IPC channel pair, exposed as
 * `window.forkscope` — `call(method, params)` and `on(event, listener)`. Nothing else of
 * Electron or Node reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createClient, type ForkscopeClient } from '../contract/client';
import type { ServerFrame } from '../contract/frames';
import { ipcFrameChannel, ipcRequestChannel } from '../contract/transport';

const client = createClient({
  send: (frame) => ipcRenderer.send(ipcRequestChannel, frame),
  onFrame(listener) {
    const wrapped = (_event: IpcRendererEvent, frame: ServerFrame) => listener(frame);
    ipcRenderer.on(ipcFrameChannel, wrapped);
    return () => ipcRenderer.off(ipcFrameChannel, wrapped);
  },
});

const bridge: Pick<ForkscopeClient, 'call' | 'on'> = {
  call: (method, params) => client.call(method, params),
  on: (name, listener) => client.on(name, listener),
};
contextBridge.exposeInMainWorld('forkscope', bridge);
