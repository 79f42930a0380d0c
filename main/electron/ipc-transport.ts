import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import { openConnection } from '../api/connection';
import type { Host } from '../api/host';
import { ipcFrameChannel, ipcRequestChannel } from '../../contract/transport';

/**
 * The IPC transport: frames from the app's own window, main frame only, go to the dispatcher;
 * responses and events go back to that window. Any other sender is ignored.
 */
export function serveIpc(host: Host, isTrustedSender: (event: IpcMainEvent) => boolean) {
  const connections = new Map<WebContents, ReturnType<typeof openConnection>>();

  const connectionFor = (contents: WebContents) => {
    let connection = connections.get(contents);
    if (!connection) {
      connection = openConnection(host, (frame) => {
        if (!contents.isDestroyed()) contents.send(ipcFrameChannel, frame);
      });
      connections.set(contents, connection);
      // A reload or a closed window never leaks a subscription.
      const drop = () => {
        connections.get(contents)?.close();
        connections.delete(contents);
      };
      contents.once('destroyed', drop);
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) drop();
      });
    }
    return connection;
  };

  const onRequest = (event: IpcMainEvent, frame: unknown) => {
    if (!isTrustedSender(event)) return;
    void connectionFor(event.sender).receiveFrame(frame);
  };
  ipcMain.on(ipcRequestChannel, onRequest);
  return () => {
    ipcMain.off(ipcRequestChannel, onRequest);
    for (const connection of connections.values()) connection.close();
    connections.clear();
  };
}
