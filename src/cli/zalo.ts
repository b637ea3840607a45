/** `chihoi zalo login|import|status`: the Zalo account the service speaks as (channels/zalo does the work). */
import path from "node:path";
import type { Command } from "commander";
import { CredentialStoreError } from "../channels/zalo/credential-store.ts";
import { importZaloCredentials, runZaloLogin, ZaloLoginError, zaloStatusReport } from "../channels/zalo/zalo-login.ts";
import { recordAudit } from "../domain/audit/audit-service.ts";
import { formatMeetingTime } from "../lib/zoned-time.ts";
import { type CliContext, help } from "./context.ts";

export function registerZaloCommands(program: Command, ctx: CliContext): void {
  const { t, out, config } = ctx;
  const zalo = program.command("zalo").description(help("zalo"));
  const zaloKey = (): string => {
    if (!config.zalo) ctx.fail(t("cli.zalo_not_configured"));
    return config.zalo.credentialsKey;
  };
  zalo
    .command("login")
    .description(help("zalo_login"))
    .option("--qr <file>", help("opt_qr"), "./data/zalo-qr.png")
    .action((o: { qr: string }) =>
      ctx.withDatabase(async (db) => {
        const key = zaloKey();
        try {
          await runZaloLogin({ db, key, out, qrPngPath: path.resolve(o.qr), t });
        } catch (error) {
          if (error instanceof ZaloLoginError) ctx.fail(error.message);
          ctx.fail(`${error instanceof Error ? error.message : String(error)}\n${t("cli.zalo_login_failed_hint")}`);
        }
      }),
    );
  zalo
    .command("import <file>")
    .description(help("zalo_import"))
    .action((file: string) =>
      ctx.withDatabase(async (db) => {
        try {
          const r = await importZaloCredentials(db, zaloKey(), file);
          await recordAudit(db, { source: "cli", action: "zalo.import" });
          out(t(r.written ? "cli.zalo_import_done" : "cli.zalo_import_same", { count: r.cookieCount }));
        } catch (error) {
          if (error instanceof CredentialStoreError) ctx.fail(error.message);
          throw error;
        }
      }),
    );
  zalo
    .command("status")
    .description(help("zalo_status"))
    .action(() =>
      ctx.withDatabase(async (db) => {
        const s = await zaloStatusReport(db, zaloKey());
        const at = (d: Date | null) =>
          d ? formatMeetingTime(d, config.timeZone, config.defaultLocale) : t("cli.never");
        out(t("cli.zalo_status_state", { state: t(`cli.zalo_state_${s.state}`), since: at(s.since) }));
        out(t("cli.zalo_status_last_event", { when: at(s.lastEventAt) }));
        if (s.lastError) out(t("cli.zalo_status_last_error", { error: s.lastError }));
        out(t("cli.zalo_status_credentials", { state: t(`cli.zalo_credentials_${s.credentials}`) }));
        out(t("cli.zalo_status_queue", { count: s.queueLength }));
        out(t("cli.zalo_status_backoff", { count: s.backedOff.length }));
        for (const b of s.backedOff) out(t("cli.zalo_status_backoff_line", { chatId: b.chatId, until: at(b.until) }));
      }),
    );
}
