/** The WebSocket subprotocol prefix that carries the token (never the URL, so it is never logged). */
export const tokenProtocolPrefix = 'forkscope.token.';
