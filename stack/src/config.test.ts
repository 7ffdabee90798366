import { describe, expect, it } from "vitest";
import {
  databaseUrlOf,
  resolveStackConfig,
  temporalAddressOf,
} from "./config.ts";

describe("resolveStackConfig", () => {
  it("manages every service with per-profile ports by default", () => {
    const dev = resolveStackConfig("dev", {}, "/repo");
    const test = resolveStackConfig("test", {}, "/repo");
    expect(databaseUrlOf(dev)).toBe(
      "postgresql://loupe:loupe@127.0.0.1:54320/loupe",
    );
    expect(databaseUrlOf(test)).toBe(
      "postgresql://loupe:loupe@127.0.0.1:54330/loupe_test",
    );
    expect(temporalAddressOf(dev)).toBe("127.0.0.1:7233");
    expect(temporalAddressOf(test)).toBe("127.0.0.1:7243");
    expect(dev.home).toBe("/repo/.loupe/dev");
    expect(dev.temporal).toMatchObject({
      kind: "managed",
      binary: "/repo/.loupe/cache/bin/temporal",
      ui: true,
    });
    expect(test.temporal).toMatchObject({ ui: false });
  });

  it("uses external services named by DATABASE_URL and TEMPORAL_ADDRESS", () => {
    const config = resolveStackConfig(
      "dev",
      {
        DATABASE_URL: "postgresql://u:p@db.internal:5432/loupe",
        TEMPORAL_ADDRESS: "temporal.internal:7233",
        TEMPORAL_NAMESPACE: "loupe",
      },
      "/repo",
    );
    expect(config.postgres).toEqual({
      kind: "external",
      url: "postgresql://u:p@db.internal:5432/loupe",
    });
    expect(config.temporal).toEqual({
      kind: "external",
      address: "temporal.internal:7233",
      namespace: "loupe",
    });
  });

  it("takes ports and the state folder from env", () => {
    const config = resolveStackConfig(
      "dev",
      { LOUPE_HOME: "/tmp/l", LOUPE_PG_PORT: "6000", LOUPE_WEB_PORT: "4000" },
      "/repo",
    );
    expect(config.home).toBe("/tmp/l/dev");
    expect(config.web.port).toBe(4000);
    expect(config.postgres).toMatchObject({
      port: 6000,
      dataDir: "/tmp/l/dev/postgres",
    });
  });

  it.each([
    [
      { LOUPE_WEB_PORT: "80" },
      "LOUPE_WEB_PORT: Too small: expected number to be >=1024",
    ],
    [
      { LOUPE_PG_PORT: "abc" },
      "LOUPE_PG_PORT: Invalid input: expected number, received NaN",
    ],
    [{ TEMPORAL_ADDRESS: "temporal" }, "TEMPORAL_ADDRESS: expected host:port"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL: Invalid URL"],
  ])("rejects %j, naming the variable", (env, message) => {
    expect(() => resolveStackConfig("dev", env, "/repo")).toThrow(
      `invalid environment for the Loupe stack:\n  ${message}`,
    );
  });
});
