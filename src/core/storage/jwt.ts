/** A bearer token's expiry from its JWT "exp" claim (ms); SDK-free. Falls back to "now + 50 minutes". */
export function tokenExpiry(token: string, now = Date.now()): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number };
    if (typeof payload.exp === 'number') return payload.exp * 1000;
  } catch {
    /* not a JWT */
  }
  return now + 50 * 60 * 1000;
}
