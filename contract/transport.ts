/** Names both ends of a transport must agree on; nothing else about transports lives in the contract. */

/** The one IPC channel pair between the preload and Electron's main process. */
export const ipcRequestChannel = 'forkscope:request';
export const ipcFrameChannel = 'forkscope:frame';

/** The WebSocket subprotocol prefix that carries serve mode's token (never the URL, so never logged). */
export const tokenProtocolPrefix = 'forkscope.token.';

/** The one path serve mode upgrades to a WebSocket; every other path is refused. */
export const apiPath = '/api';

/**
 * Close codes serve mode uses (4000–4999 is the range the WebSocket spec leaves to applications).
 * A page that sees one reconnects and loads its lists again.
 */
export const closeCodes = {
  /** The client did not read what it was sent: its unsent bytes passed the connection's budget. */
  tooSlow: 4008,
} as const;
