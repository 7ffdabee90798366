import { chmod, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import {
  configPath,
  readConfig,
  resolveConnection,
  writeConfig,
} from "./config-file.ts";

it("writes the key readable by its owner only, even over a file that was readable by all", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-config-"));
  const file = path.join(dir, "nested", "config.json");
  await writeConfig({ url: "http://a", apiKey: "loupe_1_x" }, file);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  await chmod(file, 0o644);
  await writeConfig({ url: "http://b", apiKey: "loupe_2_y" }, file);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect(readConfig(file)).toEqual({ url: "http://b", apiKey: "loupe_2_y" });
});

it("finds the config under LOUPE_CONFIG, else XDG_CONFIG_HOME, else ~/.config", () => {
  expect(configPath({ LOUPE_CONFIG: "/x/c.json" })).toBe("/x/c.json");
  expect(configPath({ XDG_CONFIG_HOME: "/xdg" })).toBe(
    "/xdg/loupe/config.json",
  );
  expect(configPath({})).toBe(
    path.join(os.homedir(), ".config", "loupe", "config.json"),
  );
});

it("options win over the environment, which wins over the file; empty variables count as unset; the stored key goes only to its server", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-config-"));
  const file = path.join(dir, "config.json");
  await writeConfig({ url: "http://file", apiKey: "from-file" }, file);
  const env = { LOUPE_CONFIG: file };
  expect(resolveConnection({}, env)).toEqual({
    url: "http://file",
    apiKey: "from-file",
  });
  expect(
    resolveConnection(
      {},
      { ...env, LOUPE_URL: "http://env", LOUPE_API_KEY: "" },
    ),
  ).toEqual({ url: "http://env", apiKey: undefined });
  // The stored key goes to the server it was stored for, and to no other.
  expect(
    resolveConnection(
      {},
      { ...env, LOUPE_URL: "http://file/", LOUPE_API_KEY: "" },
    ),
  ).toEqual({ url: "http://file/", apiKey: "from-file" });
  expect(resolveConnection({ url: "https://third.party" }, env)).toEqual({
    url: "https://third.party",
    apiKey: undefined,
  });
  expect(resolveConnection({ url: "http://opt", apiKey: "opt" }, env)).toEqual({
    url: "http://opt",
    apiKey: "opt",
  });
  expect(
    resolveConnection({}, { LOUPE_CONFIG: path.join(dir, "none") }),
  ).toEqual({
    url: "http://localhost:3000",
    apiKey: undefined,
  });
});

it("names a config file that is not one", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-config-"));
  const file = path.join(dir, "config.json");
  await writeFile(file, '{"token": 1}');
  expect(() => readConfig(file)).toThrow(
    `${file} is not a Loupe config (expected {"url", "apiKey"}); run \`loupe login\` again`,
  );
  expect(await readFile(file, "utf8")).toBe('{"token": 1}');
});

it("names a config file that is not JSON, or not an object", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "loupe-config-"));
  const file = path.join(dir, "config.json");
  await writeFile(file, "{url:");
  expect(() => readConfig(file)).toThrow(
    new RegExp(
      `^${file} is not valid JSON \\(.+\\); run \`loupe login\` again$`,
    ),
  );
  await writeFile(file, "null");
  expect(() => readConfig(file)).toThrow(`${file} is not a Loupe config`);
});
