/** Names both ends of a transport must agree on; nothing else about transports lives in the contract. */

/** The one IPC channel pair between the preload and Electron's main process. */
export const ipcRequestChannel = 'forkscope:request';
export const ipcFrameChannel = 'forkscope:frame';

/** The WebSocket subprotocol prefix that carries serve mode's token (never the URL, so never logged). */
export const tokenProtocolPrefix = 'forkscope.token.';
