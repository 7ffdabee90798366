import { expect, it } from "vitest";
import { clientAddressOf, parseTrustedProxies } from "./client-address.ts";

const proxies = parseTrustedProxies("127.0.0.1, 10.0.0.0/8, ::1");

it.each([
  // [peer, X-Forwarded-For, client]
  ["203.0.113.5", "1.2.3.4", "203.0.113.5"], // an untrusted peer's header is ignored
  ["::ffff:203.0.113.5", null, "203.0.113.5"],
  ["127.0.0.1", "198.51.100.7", "198.51.100.7"],
  ["127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"], // a client's own hop is never read
  ["127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7"], // through two trusted proxies
  ["127.0.0.1", "10.1.2.3", "10.1.2.3"], // all trusted: the leftmost
  ["127.0.0.1", "not-an-ip, 10.1.2.3", "10.1.2.3"],
  ["127.0.0.1", null, "127.0.0.1"],
])(
  "peer %s with X-Forwarded-For %s is the client %s",
  (peer, forwarded, client) => {
    expect(
      clientAddressOf({
        remoteAddress: peer,
        forwardedFor: forwarded,
        trustedProxies: proxies,
      }),
    ).toBe(client);
  },
);

it("trusts no proxy unless configured, and names a bad entry", () => {
  expect(
    clientAddressOf({
      remoteAddress: "127.0.0.1",
      forwardedFor: "1.2.3.4",
      trustedProxies: parseTrustedProxies(undefined),
    }),
  ).toBe("127.0.0.1");
  expect(() => parseTrustedProxies("10.0.0.0/40")).toThrow(
    'LOUPE_TRUSTED_PROXIES: expected IP addresses or CIDR ranges, comma-separated, got "10.0.0.0/40"',
  );
  expect(() => parseTrustedProxies("proxy.local")).toThrow(/"proxy.local"/);
});
