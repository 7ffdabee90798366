import { BlockList, isIP } from "node:net";

/**
 * The header the web server stamps on every request it hands on with the
 * client's address (clientAddressOf), after deleting whatever the client sent
 * under that name. Sign-in, sign-up and sign-in links key their rate limits
 * on it.
 */
export const CLIENT_ADDRESS_HEADER = "x-loupe-client-address";

/** Which peers may say, in X-Forwarded-For, whom they forward for. */
export type TrustedProxies = BlockList;

/**
 * Parses LOUPE_TRUSTED_PROXIES: addresses and CIDR ranges, comma-separated
 * (`127.0.0.1,10.0.0.0/8,::1`). Empty or unset: no proxy is trusted, and the
 * client is the peer of the TCP connection. A bad entry throws, naming it.
 */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const list = new BlockList();
  for (const entry of (value ?? "").split(",").map((e) => e.trim())) {
    if (!entry) continue;
    const [address = "", bits] = entry.split("/");
    const family = isIP(address);
    const prefix = bits === undefined ? undefined : Number(bits);
    if (
      family === 0 ||
      (prefix !== undefined &&
        !(
          Number.isInteger(prefix) &&
          prefix >= 0 &&
          prefix <= (family === 4 ? 32 : 128)
        ))
    )
      throw new Error(
        `LOUPE_TRUSTED_PROXIES: expected IP addresses or CIDR ranges, comma-separated, got "${entry}"`,
      );
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.)/, "");

function isTrusted(proxies: TrustedProxies, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The client's address: the TCP peer, unless the peer is a trusted proxy; then
 * X-Forwarded-For is read from the right, skipping trusted proxies, and the
 * first address that is not one is the client. A client cannot choose its key
 * by sending the header itself: hops left of the first untrusted one are
 * never read.
 */
export function clientAddressOf(request: {
  remoteAddress: string | undefined;
  forwardedFor: string | null | undefined;
  trustedProxies: TrustedProxies;
}): string {
  let client = plain(request.remoteAddress ?? "unknown");
  if (!isTrusted(request.trustedProxies, client)) return client;
  const hops = (request.forwardedFor ?? "")
    .split(",")
    .map((h) => plain(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(request.trustedProxies, hop)) return hop;
  }
  return client;
}

/**
 * The client address the web server stamped on a request's headers, or
 * "unknown" (all such requests then share one rate-limit key: a server that
 * does not stamp it throttles together, never not at all).
 */
export function clientAddressFromHeaders(headers: {
  get(name: string): string | null;
}): string {
  return headers.get(CLIENT_ADDRESS_HEADER)?.trim() || "unknown";
}
