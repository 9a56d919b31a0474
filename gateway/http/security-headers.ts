/**
 * The headers every answer of the gateway's HTTP side carries — pages, API, the live feed,
 * errors and 404s alike (console-server.ts sets them on the raw response before anything else).
 *
 * The Content-Security-Policy allows nothing by default and then only the gateway's own script,
 * style sheet, images and API: no inline script, no inline style (the page keeps its settings and
 * messages in JSON data blocks, which are never run), no plugins, no <base>, forms posting only
 * home, and no framing by anyone (`frame-ancestors 'none'`, and X-Frame-Options for browsers
 * older than CSP 2). `nosniff` keeps a JSON answer from ever being read as a script or a page;
 * `no-referrer` keeps the console's addresses (and report dates) out of any other site's logs.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** Sent over HTTPS only: the browser then refuses plain HTTP to this host for a year. */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/** The headers as raw HTTP/1.1 lines, for an answer written straight to a socket. */
export function securityHeaderLines(): string {
  return Object.entries(SECURITY_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
}
