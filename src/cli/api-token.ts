/** `chihoi api-token create|list|revoke`: tokens for the HTTP API of a unit. */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../domain/api-tokens/api-token-service.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import { bilingualHelp, type CliContext, formatDate, idOf } from "./context.ts";

export function registerApiTokenCommands(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  const day = (ms: number) => formatDate(ctx, ms);
  const apiToken = program.command("api-token").description(bilingualHelp("api.help"));
  apiToken
    .command("create")
    .description(bilingualHelp("api.help_create"))
    .requiredOption("--unit <unit>", bilingualHelp("api.opt_unit"))
    .requiredOption("--name <name>", bilingualHelp("api.opt_name"))
    .option("--write", bilingualHelp("api.opt_write"), false)
    .action((o: { unit: string; name: string; write: boolean }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, o.unit);
        const { token, secret } = await createApiToken(db, systemActor("cli"), {
          unitId: unit.id,
          name: o.name,
          access: o.write ? "write" : "read",
        });
        out(
          t("api.created", {
            id: token.id,
            name: token.name,
            unit: token.unitName,
            access: t(`api.access_${token.access}`),
          }),
        );
        out(secret);
      }),
    );
  apiToken
    .command("list")
    .description(bilingualHelp("api.help_list"))
    .action(() =>
      ctx.withDatabase(async (db) => {
        const tokens = await listApiTokens(db);
        if (!tokens.length) return out(t("api.list_none"));
        out(t("api.list_header"));
        for (const k of tokens)
          out(
            t("api.list_line", {
              id: k.id,
              name: k.name,
              unit: k.unitName,
              access: t(`api.access_${k.access}`),
              prefix: k.prefix,
              created: day(k.createdAt),
              lastUsed: k.lastUsedAt === null ? t("api.never") : day(k.lastUsedAt),
              state: k.revokedAt === null ? t("api.state_active") : t("api.state_revoked", { when: day(k.revokedAt) }),
            }),
          );
      }),
    );
  apiToken
    .command("revoke <id>")
    .description(bilingualHelp("api.help_revoke"))
    .action((id: string) =>
      ctx.withDatabase(async (db) => {
        if (!/^#?\d{1,9}$/.test(id)) ctx.fail(t("api.bad_id", { input: id }));
        const token = await revokeApiToken(db, systemActor("cli"), idOf(id));
        out(t("api.revoked", { id: token.id, name: token.name }));
      }),
    );
}
