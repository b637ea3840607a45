/** Roster import by upload: choose a file, see what would change (dry run), then apply. */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { can } from "../../domain/access/access-scope.ts";
import { getUnit } from "../../domain/units/unit-service.ts";
import { importRosterUpload } from "../../input/roster/roster-upload.ts";
import type { ImportChange, ImportResult } from "../../domain/roster/import-roster.ts";
import { Layout, type Viewer } from "./layout.tsx";
import { httpStatusOf, type AdminEnv, type AdminOptions } from "./admin-auth.ts";

/** Uploaded files wait here between the preview and "apply", at most an hour. */
const uploadDir = path.join(tmpdir(), "chihoi-roster-uploads");
const uploadTtlMs = 60 * 60_000;

function viewerOf(c: Context<AdminEnv>): Viewer {
  const s = c.get("signedIn");
  return { personId: s.session.personId, name: s.name, csrfToken: s.session.csrfToken };
}

function cleanOldUploads(): void {
  try {
    for (const f of readdirSync(uploadDir))
      if (Date.now() - statSync(path.join(uploadDir, f)).mtimeMs > uploadTtlMs)
        rmSync(path.join(uploadDir, f), { force: true });
  } catch {
    /* no folder yet */
  }
}

type Update = Extract<ImportChange, { kind: "update" }>;

/**
 * A changed person's fields in words, current value → new value: "Số điện thoại: 0912345678 →
 * 0913345678", "Chi hội: Chi hội 1 → Chi hội 2". The signed-in official sees full phones here (as on
 * a person's page); nothing of it is logged.
 */
export function changeLines(t: Translate, change: Update): { field: string; from: string; to: string }[] {
  const d = change.diff;
  const none = t("workplace.import_none");
  const value = (v: string | number | null | undefined) =>
    v === null || v === undefined || v === "" ? none : String(v);
  const gender = (g: string | null) => (g === "nam" || g === "nu" ? t(`workplace.import_gender_${g}`) : value(g));
  const lines: { field: string; from: string; to: string }[] = [];
  const add = (field: string, from: string, to: string) => lines.push({ field, from, to });
  if (d.fullName) add(t("workplace.import_field_fullName"), d.fullName[0], d.fullName[1]);
  if (d.phone) add(t("workplace.import_field_phone"), value(d.phone[0]), d.phone[1]);
  if (d.birthYear) add(t("workplace.import_field_birthYear"), value(d.birthYear[0]), String(d.birthYear[1]));
  if (d.gender) add(t("workplace.import_field_gender"), gender(d.gender[0]), gender(d.gender[1]));
  if (d.note) add(t("workplace.import_field_note"), value(d.note[0]), d.note[1]);
  if (d.moveFrom)
    add(
      d.unitLevel || t("workplace.import_field_unit"),
      d.moveFrom.length ? d.moveFrom.join(", ") : t("workplace.import_no_unit"),
      d.unit,
    );
  const role = (cadre: boolean) =>
    cadre ? t("workplace.import_role_cadre") + (d.title ? ` (${d.title})` : "") : t("workplace.import_role_member");
  if (d.cadre !== undefined)
    add(
      t("workplace.import_field_role"),
      t(d.cadre ? "workplace.import_role_member" : "workplace.import_role_cadre"),
      role(d.cadre),
    );
  return lines;
}

function ChangeCell(props: { t: Translate; change: ImportChange }) {
  const { t, change } = props;
  if (change.kind === "create") return <td>{t("admin.import_new", { unit: change.unit })}</td>;
  const lines = changeLines(t, change);
  return (
    <td>
      {change.nameMismatch ? (
        <p class="error">
          {t("workplace.import_name_mismatch", {
            phone: change.phone ?? "",
            current: change.currentName,
            name: change.name,
          })}
        </p>
      ) : null}
      {lines.length ? (
        <ul class="changes" style="margin:0;padding-left:1.1rem">
          {lines.map((l) => (
            <li>
              <strong>{l.field}:</strong> <span class="from">{l.from}</span> → <span class="to">{l.to}</span>
            </li>
          ))}
        </ul>
      ) : (
        t("workplace.import_membership_only")
      )}
    </td>
  );
}

function issueText(
  t: Translate,
  issue: { line: number; code: string; params: Record<string, string | number> },
): string {
  const text = t(`roster.row.${issue.code}`, { line: issue.line, ...issue.params });
  return text.startsWith("roster.row.") ? t("admin.import_issue_other", { line: issue.line, code: issue.code }) : text;
}

function Preview(props: {
  t: Translate;
  result: ImportResult;
  token: string;
  csrf: string;
  unitId: number;
  createUnits: boolean;
}) {
  const { t, result } = props;
  const blocked = result.invalidRows > 0;
  return (
    <section>
      <p class={blocked ? "error" : "notice"} role="status">
        {t("admin.import_summary", {
          created: result.created,
          updated: result.updated,
          unchanged: result.unchanged,
          invalid: result.invalidRows,
        })}
      </p>
      {result.unitsToCreate.length ? (
        <p>{t("admin.import_units_to_create", { units: result.unitsToCreate.join(", ") })}</p>
      ) : null}
      {result.issues.length ? (
        <div class="card">
          <h2 style="font-size:1.1rem;margin-top:0">{t("admin.import_invalid")}</h2>
          <ul>
            {result.issues.map((i) => (
              <li>{issueText(t, i)}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {result.changes.length ? (
        <table>
          <thead>
            <tr>
              <th>{t("admin.import_col_line")}</th>
              <th>{t("admin.col_name")}</th>
              <th>{t("admin.import_col_change")}</th>
            </tr>
          </thead>
          <tbody>
            {result.changes.map((ch) => (
              <tr>
                <td>{ch.line}</td>
                <td>{ch.name}</td>
                <ChangeCell t={t} change={ch} />
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {result.changes.length || result.unitsToCreate.length ? (
        <form method="post" action={`/admin/units/${props.unitId}/import/apply`} class="card" style="margin-top:1rem">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="token" value={props.token} />
          <input type="hidden" name="createUnits" value={props.createUnits ? "1" : ""} />
          {blocked ? (
            <label>
              <input type="checkbox" name="skipInvalid" value="1" required />{" "}
              {t("admin.import_skip_invalid", { count: result.invalidRows })}
            </label>
          ) : null}
          <p>
            <button type="submit">{t("admin.import_apply")}</button>
          </p>
        </form>
      ) : (
        <p class="card">{t("admin.import_nothing")}</p>
      )}
    </section>
  );
}

/** Mounts /admin/units/:id/import (form, preview, apply). */
export function mountImport(app: Hono<AdminEnv>, options: AdminOptions): void {
  const { db } = options;
  const now = () => options.now?.() ?? new Date();
  const unitOf = async (c: Context<AdminEnv>) => {
    const id = /^\d{1,9}$/.test(c.req.param("id") ?? "") ? Number(c.req.param("id")) : NaN;
    try {
      return !Number.isNaN(id) && (await can(db, viewerOf(c).personId, "manage_people", id))
        ? await getUnit(db, id)
        : undefined;
    } catch {
      return undefined;
    }
  };
  const page = async (
    c: Context<AdminEnv>,
    unitId: number,
    body: unknown,
    status: 200 | 400 | 403 | 404 | 409 | 413 | 429 = 200,
  ) => {
    const t = c.get("t");
    const unit = await getUnit(db, unitId);
    const viewer = viewerOf(c);
    return c.html(
      <Layout t={t} lang={c.get("locale")} title={t("admin.import_title", { unit: unit.name })} viewer={viewer}>
        <p>
          <a href={`/admin/units/${unitId}`}>← {unit.name}</a>
        </p>
        <h1>{t("admin.import_title", { unit: unit.name })}</h1>
        {body as never}
        <form method="post" action={`/admin/units/${unitId}/import`} enctype="multipart/form-data" class="card">
          <input type="hidden" name="_csrf" value={viewer.csrfToken} />
          <label for="file">{t("admin.import_file")}</label>
          <input
            id="file"
            name="file"
            type="file"
            accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            required
          />
          <p class="mute">{t("admin.import_help")}</p>
          <label>
            <input type="checkbox" name="createUnits" value="1" /> {t("admin.import_create_units")}
          </label>
          <p>
            <button type="submit">{t("admin.import_preview")}</button>
          </p>
        </form>
      </Layout>,
      status,
    );
  };
  const notFound = (c: Context<AdminEnv>) => c.text(c.get("t")("admin.unit_not_found"), 404);

  app.get("/admin/units/:id/import", async (c) => {
    const unit = await unitOf(c);
    return unit ? page(c, unit.id, null) : notFound(c);
  });

  app.post("/admin/units/:id/import", async (c) => {
    const t = c.get("t");
    const unit = await unitOf(c);
    if (!unit) return notFound(c);
    const body = await c.req.parseBody();
    const file = body.file;
    if (!(file instanceof File) || file.size === 0)
      return page(
        c,
        unit.id,
        <p class="error" role="alert">
          {t("admin.import_no_file")}
        </p>,
        400,
      );
    const bytes = Buffer.from(await file.arrayBuffer());
    const createUnits = body.createUnits === "1";
    try {
      const result = await importRosterUpload(
        db,
        viewerOf(c).personId,
        { bytes, name: file.name },
        { unitId: unit.id, createUnits, dryRun: true, now: now() },
      );
      cleanOldUploads();
      mkdirSync(uploadDir, { recursive: true, mode: 0o700 });
      const token = randomBytes(18).toString("base64url");
      writeFileSync(path.join(uploadDir, `${viewerOf(c).personId}-${unit.id}-${token}`), bytes, { mode: 0o600 });
      writeFileSync(path.join(uploadDir, `${viewerOf(c).personId}-${unit.id}-${token}.name`), file.name.slice(0, 200), {
        mode: 0o600,
      });
      return page(
        c,
        unit.id,
        <Preview
          t={t}
          result={result}
          token={token}
          csrf={viewerOf(c).csrfToken}
          unitId={unit.id}
          createUnits={createUnits}
        />,
      );
    } catch (e) {
      if (!isAppError(e)) throw e;
      return page(
        c,
        unit.id,
        <p class="error" role="alert">
          {errorText(t, e)}
        </p>,
        httpStatusOf(e.code),
      );
    }
  });

  app.post("/admin/units/:id/import/apply", async (c) => {
    const t = c.get("t");
    const unit = await unitOf(c);
    if (!unit) return notFound(c);
    const form = await c.req.parseBody();
    const token = typeof form.token === "string" && /^[A-Za-z0-9_-]{24}$/.test(form.token) ? form.token : "";
    const stored = path.join(uploadDir, `${viewerOf(c).personId}-${unit.id}-${token}`);
    let bytes: Buffer;
    let name: string;
    try {
      if (!token || Date.now() - statSync(stored).mtimeMs > uploadTtlMs) throw new Error("gone");
      bytes = readFileSync(stored);
      name = readFileSync(`${stored}.name`, "utf8");
    } catch {
      return page(
        c,
        unit.id,
        <p class="error" role="alert">
          {t("admin.import_expired")}
        </p>,
        400,
      );
    }
    try {
      const result = await importRosterUpload(
        db,
        viewerOf(c).personId,
        { bytes, name },
        {
          unitId: unit.id,
          createUnits: form.createUnits === "1",
          skipInvalid: form.skipInvalid === "1",
          now: now(),
        },
      );
      if (!result.written)
        return page(
          c,
          unit.id,
          <Preview
            t={t}
            result={result}
            token={token}
            csrf={viewerOf(c).csrfToken}
            unitId={unit.id}
            createUnits={form.createUnits === "1"}
          />,
          400,
        );
      rmSync(stored, { force: true });
      rmSync(`${stored}.name`, { force: true });
      return page(
        c,
        unit.id,
        <p class="notice" role="status">
          {t("admin.import_done", { created: result.created, updated: result.updated, invalid: result.invalidRows })}{" "}
          <a href={`/admin/units/${unit.id}`}>{t("admin.import_see_roster")}</a>
        </p>,
      );
    } catch (e) {
      if (!isAppError(e)) throw e;
      return page(
        c,
        unit.id,
        <p class="error" role="alert">
          {errorText(t, e)}
        </p>,
        httpStatusOf(e.code),
      );
    }
  });
}
