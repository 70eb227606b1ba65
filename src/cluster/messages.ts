/**
 * What the primary and its workers say to each other over the cluster's IPC channel. Every
 * message carries `seal` so that an application's own messages on the same channel are left alone.
 */

/**
 * Worker → primary: ready for the settings. A message sent to a process before it listens for
 * messages is dropped, so the worker asks once its listener is in place.
 */
export interface SettingsRequest {
  seal: 'settings';
}

/** Primary → worker: bind the listeners with these settings; the answer to a SettingsRequest. */
export interface StartMessage<S> {
  seal: 'start';
  settings: S;
}

/**
 * Primary → worker: finish what is in flight, close idle connections, exit 0. The primary has
 * already taken the worker out of the listeners (node:cluster's disconnect) by then.
 */
export interface StopMessage {
  seal: 'stop';
}

/** Worker → primary: every listener is bound; their ports, in the order `start` returned them. */
export interface ListeningMessage {
  seal: 'listening';
  ports: number[];
}

export type ToWorker<S> = StartMessage<S> | StopMessage;

function hasSealTag(message: unknown): message is { seal: unknown } {
  return typeof message === 'object' && message !== null && 'seal' in message;
}

export function isToWorker<S>(message: unknown): message is ToWorker<S> {
  return hasSealTag(message) && (message.seal === 'start' || message.seal === 'stop');
}

export function isSettingsRequest(message: unknown): message is SettingsRequest {
  return hasSealTag(message) && message.seal === 'settings';
}

export function isListening(message: unknown): message is ListeningMessage {
  return hasSealTag(message) && message.seal === 'listening' && Array.isArray((message as { ports?: unknown }).ports);
}
