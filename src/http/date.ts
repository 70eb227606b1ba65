/**
 * The Date field (RFC 9110 §6.6.1), formatted at most once a second: a busy server answers
 * thousands of requests per second and the IMF-fixdate only changes every 1000 ms.
 */
let cachedSecond = -1;
let cachedValue = '';

export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedValue = new Date(second * 1000).toUTCString();
  }
  return cachedValue;
}
