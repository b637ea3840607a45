/** scripts/db-migrations.ts: the PostgreSQL copy of the schema and the hand-written-SQL detector. */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { handWritten, postgresSchema } from "../../scripts/db-migrations.ts";
import { testPostgresUrl } from "../helpers/test-db.ts";

describe("PostgreSQL copy of the schema", () => {
  it("keeps the models and turns times into BIGINT epoch milliseconds", () => {
    const out = postgresSchema(
      `generator client {\n  provider = "prisma-client"\n}\n\n/// Types.\ngenerator kysely {\n  provider = "node x.mjs"\n}\n\ndatasource db {\n  provider = "sqlite"\n  url      = env("DATABASE_URL")\n}\n\nmodel A {\n  id        Int       @id @default(autoincrement())\n  createdAt DateTime  @default(now())\n  updatedAt DateTime  @updatedAt\n  doneAt    DateTime?\n  note      String    @default("DateTime")\n}\n`,
    );
    expect(out).toContain('provider = "postgresql"');
    expect(out).not.toContain("node x.mjs");
    expect(out).toMatch(
      /createdAt BigInt\s+@default\(dbgenerated\("\(floor\(extract\(epoch from clock_timestamp\(\)\) \* 1000\)\)::bigint"\)\)/,
    );
    expect(out).toMatch(/updatedAt BigInt\s*\n/);
    expect(out).toMatch(/doneAt\s+BigInt\?/);
    expect(out).toContain('@default("DateTime")'); // text that merely says DateTime is left alone
    expect(out).not.toContain("@updatedAt");
  });

  it("is the committed prisma/postgresql/schema.prisma", () => {
    expect(readFileSync("prisma/postgresql/schema.prisma", "utf8")).toBe(
      postgresSchema(readFileSync("prisma/schema.prisma", "utf8")),
    );
  });
});

describe("hand-written SQL in a SQLite migration", () => {
  it("flags triggers, data updates and partial indexes, not what Prisma writes", () => {
    const prismaWrote = `-- RedefineTables\nPRAGMA defer_foreign_keys=ON;\nPRAGMA foreign_keys=OFF;\nCREATE TABLE "new_A" (\n    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT\n);\nINSERT INTO "new_A" ("id") SELECT "id" FROM "A";\nDROP TABLE "A";\nALTER TABLE "new_A" RENAME TO "A";\nCREATE UNIQUE INDEX "A_x_key" ON "A"("x");\nPRAGMA foreign_keys=ON;\n`;
    expect(handWritten(prismaWrote)).toEqual([]);
    const byHand = `CREATE TRIGGER "t" AFTER INSERT ON "A"\nBEGIN\n  UPDATE "B" SET n = n + 1;\nEND;\n\nUPDATE "A" SET x = 1;\nCREATE INDEX "A_open" ON "A"("x") WHERE "x" IS NULL;\n`;
    expect(handWritten(byHand)).toEqual([
      'CREATE TRIGGER "t" AFTER INSERT ON "A"',
      'UPDATE "A" SET x = 1',
      'CREATE INDEX "A_open" ON "A"("x") WHERE "x" IS NULL',
    ]);
  });

  it("finds the unit_counters triggers", () => {
    const sql = readFileSync("prisma/migrations/20261123000100_unit_counters/migration.sql", "utf8");
    expect(handWritten(sql)).toHaveLength(3);
  });
});

describe.skipIf(!testPostgresUrl)(
  "npm run db:migrations -- --check (needs a PostgreSQL server for Prisma's diff)",
  () => {
    it("finds the schema and both engines' migrations in agreement", () => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/db-migrations.ts", "--check"], {
        encoding: "utf8",
        env: { ...process.env, MIGRATIONS_DATABASE_URL: testPostgresUrl },
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }, 240_000); // several Prisma diffs, each a WebAssembly engine start: slow on a loaded machine
  },
);
