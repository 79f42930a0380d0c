/** The one IPC channel pair between the preload and main. Everything typed is built on top of it. */
export const requestChannel = 'forkscope:request';
export const frameChannel = 'forkscope:frame';
