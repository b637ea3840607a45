import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// Used only by scripts/db-migrations.ts to have Prisma write PostgreSQL migration SQL offline
// (`prisma migrate diff` between two datamodels). The JavaScript schema engine insists on an
// adapter and opens it, though diffing two datamodels reads and writes nothing: any reachable
// PostgreSQL server will do (MIGRATIONS_DATABASE_URL, default the local one).
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  adapter: async () =>
    new PrismaPg({
      connectionString: process.env.MIGRATIONS_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    }),
});
