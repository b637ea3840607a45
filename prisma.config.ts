import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// Offline recipe (see ../shared/notes/toolchain.md): the JavaScript schema engine with the
// better-sqlite3 driver adapter, so no Prisma binary is ever downloaded.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () =>
    new PrismaBetterSQLite3(
      { url: process.env.DATABASE_URL ?? "file:./data/chihoi.db" },
      { timestampFormat: "unixepoch-ms" },
    ),
});
