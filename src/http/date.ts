/**
 * The Date field (RFC 9110 §6.6.1), formatted once a second by a timer: a busy server answers
 * thousands of requests a second and the IMF-fixdate changes only every 1000 ms, so a response
 * should cost a property read, not a clock read and a comparison.
 */
let cachedValue = '';
let timer: NodeJS.Timeout | undefined;

function refresh(): void {
  const now = Date.now();
  cachedValue = new Date(now).toUTCString();
  // Wake at the next second boundary; unref'd, so the clock never keeps a process alive.
  timer = setTimeout(refresh, 1000 - (now % 1000));
  timer.unref();
}

export function httpDate(): string {
  if (timer === undefined) refresh();
  return cachedValue;
}
