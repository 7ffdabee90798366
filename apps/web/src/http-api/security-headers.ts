import { randomBytes } from "node:crypto";

/**
 * The headers every response carries, page or API: no framing (clickjacking
 * of /keys and /admin), no MIME sniffing, no referrer beyond the origin to
 * other sites, and none of the browser features Loupe does not use.
 */
export const COMMON_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "permissions-policy":
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
};

/** The API's CSP: its answers are data (JSON, safetensors), never documents to run. */
export const API_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A fresh CSP nonce for one page response (128 random bits, base64). */
export const createNonce = (): string => randomBytes(16).toString("base64");

/**
 * A page's Content-Security-Policy: scripts only from this origin or with
 * this response's nonce (Next.js puts it on its own script tags, reading it
 * from the request's content-security-policy header), so no inline script
 * runs without it; nothing may frame the page. Styles may be inline (React's
 * style attributes and Observable Plot's SVG use them). Development adds
 * 'unsafe-eval' and websockets, which Next.js's hot reload needs.
 */
export function pageContentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
