import type { WebSocket } from 'ws';
import { maxFrameBytes } from '../../contract/frames';
import { closeCodes } from '../../contract/transport';
import { openConnection } from '../api/connection';
import type { Host } from '../api/host';

/**
 * Unsent bytes (responses and events alike) one client may have queued in this process, beyond
 * what the kernel's socket buffers already took. A client that does not read past it is closed:
 * it reconnects and loads what it missed, while keeping everything for it would let one stalled
 * tab grow the server without bound. As large as the largest request frame: 20 stalled clients
 * then hold at most 80 MiB here, and one answer of any size still goes out on an empty buffer.
 */
export const outboundBudgetBytes = maxFrameBytes;
/**
 * Requests of one client in progress at once. High enough that blocking calls (a queue get
 * waiting for an item) never starve the page's others.
 */
const maxInFlight = 256;
/** Requests received and not yet started past which the socket is not read at all. */
const maxWaiting = 1024;
/**
 * A client closed for not reading still gets this long to read the close frame and its reason
 * (a slow page does); then its socket and everything queued for it are dropped.
 */
const closeGraceMs = 2000;

/**
 * Past this many bytes not taken by the kernel, no further request of the client is started
 * until they are: a client that does not read gets its answers no faster than it takes them, so
 * it costs what its socket buffers hold, not one answer per request it sent.
 */
const answerHoldBytes = 512 * 1024;
/**
 * A client with requests held that takes none of its unsent bytes in this long has stopped
 * reading: it is closed like one past the budget (else it would hold its socket and buffers forever).
 */
const stallMs = 5000;

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** One API client over a WebSocket: frames both ways, within the outbound budget. */
export function serveClient(ws: WebSocket, host: Host): void {
  let inFlight = 0;
  let closing = false;
  const waiting: string[] = [];
  let stallTimer: NodeJS.Timeout | null = null;

  /** Armed while requests are held for unread answers; fires only if none of them was read meanwhile. */
  const watchStall = (held: boolean) => {
    if (!held) {
      if (stallTimer) clearTimeout(stallTimer);
      stallTimer = null;
      return;
    }
    if (stallTimer) return;
    const unsent = ws.bufferedAmount;
    stallTimer = setTimeout(() => {
      stallTimer = null;
      if (ws.bufferedAmount >= unsent) closeTooSlow('stalled');
      else pump();
    }, stallMs);
  };

  /** Starts what may start now; stops reading the socket while too much is waiting. */
  const pump = () => {
    while (!closing && waiting.length > 0 && inFlight < maxInFlight && ws.bufferedAmount <= answerHoldBytes) {
      inFlight++;
      void connection.receiveText(waiting.shift()!).finally(() => {
        inFlight--;
        pump();
      });
    }
    if (closing) return;
    watchStall(waiting.length > 0 && ws.bufferedAmount > answerHoldBytes);
    if (waiting.length >= maxWaiting && !ws.isPaused) ws.pause();
    else if (waiting.length < maxWaiting / 2 && ws.isPaused) ws.resume();
  };

  const closeTooSlow = (why: 'budget' | 'stalled' = 'budget') => {
    if (closing) return;
    closing = true;
    waiting.length = 0;
    watchStall(false);
    const unsent = ws.bufferedAmount;
    connection.close();
    const reason =
      why === 'budget'
        ? `over ${mib(outboundBudgetBytes)} MiB unread`
        : `nothing read in ${stallMs / 1000} s with answers waiting`;
    console.warn(
      `[forkscope] closed a WebSocket client that stopped reading (${reason}): ${mib(unsent)} MiB unsent.`,
    );
    // Sent after what is queued: a client that reads again in time learns why (the text fits 123 bytes).
    ws.close(closeCodes.tooSlow, `Closed by Forkscope: ${reason}. Reconnect to continue.`);
    const drop = setTimeout(() => ws.terminate(), closeGraceMs);
    ws.once('close', () => clearTimeout(drop));
  };

  const connection = openConnection(host, (frame) => {
    if (closing || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > outboundBudgetBytes) return closeTooSlow();
    const text = JSON.stringify(frame);
    // One frame always goes out on an empty buffer, however big: otherwise a large answer could never be had.
    if (ws.bufferedAmount > 0 && ws.bufferedAmount + text.length > outboundBudgetBytes) return closeTooSlow();
    ws.send(text, pump);
  });

  // Binary frames are decoded as text too: they fail as JSON and get a bad-frame error.
  ws.on('message', (data) => {
    if (closing) return;
    waiting.push(data.toString());
    pump();
  });
  ws.on('close', () => {
    watchStall(false);
    connection.close();
  });
  ws.on('error', () => connection.close());
}
