/**
 * Translations from locales/<lang>/<namespace>.json. A key is "<namespace>.<path>", e.g.
 * "errors.unit_not_found". Placeholders are {name}. A key with "_one"/"_other" variants picks by
 * the `count` parameter (English needs it; Vietnamese uses one form).
 *
 * Build one translator per message for the person's language (`translator(locale)`); never switch
 * a shared instance.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const locales = ["vi", "en"] as const;
export type Locale = (typeof locales)[number];
export type Params = Record<string, string | number | null | undefined>;
export type Translate = (key: string, params?: Params) => string;

export const localesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../locales");

type Catalog = Map<string, string>;
const catalogs = new Map<Locale, Catalog>();

function flatten(prefix: string, value: unknown, into: Catalog): void {
  if (typeof value === "string") into.set(prefix, value);
  else if (Array.isArray(value)) into.set(prefix, value.join("\n"));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, into);
}

/** Loads (once) every namespace file of a language. */
export function catalog(locale: Locale): Catalog {
  let cat = catalogs.get(locale);
  if (cat) return cat;
  cat = new Map();
  const dir = path.join(localesDir, locale);
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const ns = file.replace(/\.json$/, "");
    flatten(ns, JSON.parse(readFileSync(path.join(dir, file), "utf8")), cat);
  }
  catalogs.set(locale, cat);
  return cat;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

export function interpolate(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined || v === null ? whole : String(v);
  });
}

/** A translator for one language, falling back to Vietnamese, then to the key itself. */
export function translator(locale: Locale | string = "vi"): Translate {
  const lang: Locale = isLocale(locale) ? locale : "vi";
  const primary = catalog(lang);
  const fallback = catalog("vi");
  return (key, params) => {
    let k = key;
    if (params && typeof params.count === "number") {
      const variant = `${key}_${params.count === 1 ? "one" : "other"}`;
      if (primary.has(variant) || fallback.has(variant)) k = variant;
    }
    const template = primary.get(k) ?? fallback.get(k);
    return template === undefined ? key : interpolate(template, params);
  };
}

/** Both languages, "vi / en", for messages printed before we know who reads them. */
export function bilingual(key: string, params?: Params): string {
  const vi = translator("vi")(key, params);
  const en = translator("en")(key, params);
  return vi === en ? vi : `${vi}\n${en}`;
}

/**
 * The localised message of an AppError: its code's message with the params filled in, where a
 * `what` naming a kind of thing ("meeting") and a file `reason` code are translated too.
 */
export function errorText(
  t: Translate,
  error: { code: string; params: Record<string, string | number> },
  extra: Params = {},
): string {
  const params: Params = { ...extra, ...error.params };
  if (typeof params.what === "string" && /^[a-z_]+$/.test(params.what)) {
    const noun = t(`errors.things.${params.what}`);
    if (noun !== `errors.things.${params.what}`) params.what = noun;
  }
  if (typeof params.reason === "string" && /^[a-z_]+$/.test(params.reason) && error.code.startsWith("file_")) {
    // The reason is a whole sentence naming the file ("Tệp x.csv là tệp PDF…"): it is the message.
    const reason = t(`roster.file.${params.reason}`, params);
    if (reason !== `roster.file.${params.reason}`) return reason;
  }
  if (typeof params.field === "string") {
    const field = t(`errors.fields.${params.field}`);
    if (field !== `errors.fields.${params.field}`) params.field = field;
  }
  // Date errors carry the typed input; messages that show "when" fall back to it.
  if (params.when === undefined && params.input !== undefined) params.when = params.input;
  // A field over its limit says which field and the limit: "Tên dài quá 200 ký tự."
  if (error.code === "invalid_input" && typeof params.field === "string" && params.max !== undefined) {
    return t("errors.invalid_input_too_long", {
      ...params,
      Field: params.field.charAt(0).toUpperCase() + params.field.slice(1),
    });
  }
  const text = t(`errors.${error.code}`, params);
  // A date that could not be read says why, when the parser knows ("31/02" does not exist).
  const why =
    error.code === "date_invalid" && typeof error.params.reason === "string"
      ? t(`errors.date_reasons.${error.params.reason}`)
      : "";
  return why && !why.startsWith("errors.") ? `${why} ${text}` : text;
}
