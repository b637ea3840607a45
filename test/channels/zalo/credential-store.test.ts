import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialStoreError,
  clearCredentials,
  credentialsSettingKey,
  credentialsUpdatedAt,
  loadCredentials,
  readZaloStatus,
  saveCredentials,
  writeZaloStatus,
  type ZaloCredentials,
} from "../../../src/channels/zalo/credential-store.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";

const key = "store-test-key-abcdefghijklmnop";
const creds: ZaloCredentials = {
  cookie: [
    {
      key: "zpw_sek",
      value: "SECRET-sek-value",
      domain: "chat.zalo.me",
      path: "/",
      creation: "2026-01-01T00:00:00.000Z",
      lastAccessed: "2026-01-01T00:00:00.000Z",
    },
    { key: "zpsid", value: "SECRET-zpsid", domain: ".zalo.me", path: "/" },
  ],
  imei: "SECRET-imei-1234",
  userAgent: "Mozilla/5.0 Test",
  language: "vi",
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.destroy();
});

async function storedValue(): Promise<string> {
  return (
    await db.kysely
      .selectFrom("Setting")
      .select("value")
      .where("key", "=", credentialsSettingKey)
      .executeTakeFirstOrThrow()
  ).value;
}

async function storeValue(key: string, value: string): Promise<void> {
  await db.kysely.updateTable("Setting").set({ value }).where("key", "=", key).execute();
}

async function problemOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof CredentialStoreError) return error.problem;
    throw error;
  }
  return undefined;
}

describe("saveCredentials / loadCredentials", () => {
  it("should round-trip the credentials and store none of them in clear", async () => {
    await clearCredentials(db);
    expect(await loadCredentials(db, key)).toBeNull();
    expect(await saveCredentials(db, key, creds)).toBe(true);
    expect(await loadCredentials(db, key)).toEqual(creds);
    const raw = await storedValue();
    for (const secret of ["SECRET-sek-value", "SECRET-zpsid", "SECRET-imei-1234", "Mozilla", key])
      expect(raw).not.toContain(secret);
  });

  it("should say the key is wrong, without crashing, when another key is used", async () => {
    await saveCredentials(db, key, creds);
    expect(await problemOf(() => loadCredentials(db, "another-key-0123456789abcdef"))).toBe("wrong_key");
    const error = (await (async () => {
      try {
        await loadCredentials(db, "another-key-0123456789abcdef");
      } catch (e) {
        return e as Error;
      }
    })())!;
    expect(error.message).toMatch(/ZALO_CREDENTIALS_KEY/);
  });

  it("should say the record is damaged when it was tampered with or is not JSON", async () => {
    await saveCredentials(db, key, creds);
    const record = JSON.parse(await storedValue()) as { data: string };
    const bytes = Buffer.from(record.data, "base64");
    bytes[0] = bytes[0]! ^ 0xff;
    await storeValue(credentialsSettingKey, JSON.stringify({ ...record, data: bytes.toString("base64") }));
    expect(await problemOf(() => loadCredentials(db, key))).toBe("corrupted");
    await storeValue(credentialsSettingKey, "{not json");
    expect(await problemOf(() => loadCredentials(db, key))).toBe("corrupted");
    await storeValue(credentialsSettingKey, JSON.stringify({ v: 2 }));
    expect(await problemOf(() => loadCredentials(db, key))).toBe("corrupted");
    // A new login replaces a damaged record.
    expect(await saveCredentials(db, key, creds)).toBe(true);
    expect(await loadCredentials(db, key)).toEqual(creds);
  });

  it("should write only when the meaningful content changed", async () => {
    await clearCredentials(db);
    await saveCredentials(db, key, creds, new Date(1_000));
    expect(await credentialsUpdatedAt(db)).toBe(1_000);
    // Same cookies in another order, with new access times: no write.
    const reordered: ZaloCredentials = {
      ...creds,
      cookie: [
        { key: "zpsid", value: "SECRET-zpsid", domain: "zalo.me", path: "/", lastAccessed: "2026-05-05T00:00:00.000Z" },
        { ...(creds.cookie as Record<string, unknown>[])[0], lastAccessed: "2026-05-05T00:00:00.000Z" },
      ],
    };
    expect(await saveCredentials(db, key, reordered, new Date(2_000))).toBe(false);
    expect(await credentialsUpdatedAt(db)).toBe(1_000);
    // A renewed cookie value: written.
    const renewed: ZaloCredentials = {
      ...creds,
      cookie: [{ key: "zpw_sek", value: "SECRET-renewed", domain: "chat.zalo.me", path: "/" }],
    };
    expect(await saveCredentials(db, key, renewed, new Date(3_000))).toBe(true);
    expect(await credentialsUpdatedAt(db)).toBe(3_000);
    expect(JSON.stringify(await loadCredentials(db, key))).toContain("SECRET-renewed");
  });

  it("should refuse incomplete credentials with a message that names the missing part", async () => {
    expect(await problemOf(() => saveCredentials(db, key, { ...creds, imei: "" }))).toBe("invalid");
    expect(await problemOf(() => saveCredentials(db, key, { ...creds, cookie: [] }))).toBe("invalid");
    await expect(saveCredentials(db, key, { ...creds, userAgent: undefined as unknown as string })).rejects.toThrow(
      /userAgent/,
    );
  });

  it("should accept cookies in the { url, cookies } form", async () => {
    const wrapped: ZaloCredentials = {
      ...creds,
      cookie: { url: "https://chat.zalo.me", cookies: [{ name: "zpw_sek", value: "v" }] },
    };
    await saveCredentials(db, key, wrapped);
    expect(await loadCredentials(db, key)).toEqual(wrapped);
  });
});

describe("readZaloStatus / writeZaloStatus", () => {
  it("should move since only when the state changes", async () => {
    expect(await readZaloStatus(db)).toEqual({ state: "stopped", lastEventAt: null, lastError: null, since: 0 });
    await writeZaloStatus(db, { state: "connecting" }, new Date(10));
    await writeZaloStatus(db, { state: "online", lastError: null }, new Date(20));
    await writeZaloStatus(db, { lastEventAt: 25 }, new Date(25));
    await writeZaloStatus(db, { state: "online" }, new Date(30));
    expect(await readZaloStatus(db)).toEqual({ state: "online", lastEventAt: 25, lastError: null, since: 20 });
    await writeZaloStatus(db, { state: "taken_over", lastError: "closed with 3003" }, new Date(40));
    expect(await readZaloStatus(db)).toMatchObject({
      state: "taken_over",
      since: 40,
      lastError: "closed with 3003",
      lastEventAt: 25,
    });
  });

  it("should read a damaged status as stopped", async () => {
    await storeValue("zalo.status", "x");
    expect((await readZaloStatus(db)).state).toBe("stopped");
  });
});
