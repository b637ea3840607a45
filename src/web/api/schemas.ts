/** zod schemas of the API's requests and responses: they validate requests and generate the OpenAPI document. */
import { z } from "zod";
import { MAX_COUNTED_PAGE } from "../../domain/reports/listings.ts";

const id = z.number().int();
const ms = z.number().int().describe("Epoch milliseconds");
const rate = z.number().nullable().describe("A fraction 0…1, or null when there is nothing to divide by");

const unitQuery = z.coerce
  .number()
  .int()
  .positive()
  .optional()
  .describe("A unit of the token's subtree (default: the token's unit)");
const date = z.coerce.date().optional();

export function pageQuery(max: number) {
  return z.object({
    unit: unitQuery,
    after: z.coerce.number().int().min(0).optional().describe("The previous page's nextCursor"),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(max)
      .optional()
      .describe(`Rows per page, at most ${max} (default ${Math.min(100, max)})`),
  });
}

export const meetingsQuery = pageQuery(MAX_COUNTED_PAGE).extend({
  from: date.describe("Meetings starting at or after this instant (ISO 8601)"),
  to: date.describe("Meetings starting before this instant (ISO 8601)"),
});

export const reportQuery = z.object({
  from: date.describe("Start of the period (ISO 8601; default: 365 days before `to`)"),
  to: date.describe("End of the period, exclusive (ISO 8601; default: now)"),
});

export const unitParams = z.object({
  unitId: z
    .string()
    .regex(/^\d{1,12}$/)
    .describe("Unit id"),
});

export const importQuery = z.object({
  unit: unitQuery,
  dryRun: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v !== "false")
    .describe("true (default): only report what would change"),
  skipInvalid: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true")
    .describe("Import the valid rows when some are invalid"),
});

export function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: id.nullable().describe("Pass as `after` for the next page; null on the last page"),
  });
}

export const unit = z.object({
  id,
  parentId: id.nullable(),
  name: z.string(),
  levelLabel: z.string(),
  depth: z.number().int(),
  path: z.string(),
  memberCount: z.number().int(),
  linkedCount: z.number().int(),
});

export const person = z.object({
  id,
  fullName: z.string(),
  phone: z.string().nullable(),
  birthYear: z.number().int().nullable(),
  gender: z.string().nullable(),
  linkedAccounts: z.number().int(),
  updatedAt: ms,
});

export const membership = z.object({
  id,
  personId: id,
  unitId: id,
  role: z.enum(["member", "cadre", "official", "admin"]),
  title: z.string().nullable(),
  createdAt: ms,
});

export const meeting = z.object({
  id,
  unitId: id,
  title: z.string(),
  place: z.string(),
  startsAt: ms,
  endsAt: ms,
  status: z.enum(["scheduled", "cancelled"]),
  tally: z.object({
    invited: z.number().int(),
    answered: z.number().int(),
    attending: z.number().int(),
    excused: z.number().int(),
    unsure: z.number().int(),
    came: z.number().int().nullable().describe("Present at the meeting, once attendance is recorded"),
  }),
});

export const directive = z.object({
  id,
  unitId: id,
  kind: z.string(),
  number: z.string(),
  issuer: z.string(),
  title: z.string(),
  status: z.string(),
  sentAt: ms.nullable(),
  delivered: z.number().int(),
  read: z.number().int(),
  readRate: rate,
});

const reportRow = z.object({
  unitId: id,
  name: z.string(),
  levelLabel: z.string(),
  depth: z.number().int(),
  members: z.number().int(),
  linked: z.number().int(),
  linkedShare: rate,
  linkedByPlatform: z.record(z.string(), z.number().int()),
  linkedShareByPlatform: z.record(z.string(), rate),
  meetingsHeld: z.number().int(),
  responseRate: rate,
  attendanceRate: rate,
  readRate: rate,
  concernsOpened: z.number().int(),
  concernsAnswered: z.number().int(),
  openConcerns: z.number().int(),
  overdueConcerns: z.number().int(),
  concernsRated: z.number().int(),
  concernsSatisfied: z.number().int(),
  satisfactionRate: rate,
  medianFirstAnswerMs: z.number().nullable(),
  ownMedianFirstAnswerMs: z.number().nullable(),
});

export const report = z.object({
  unitId: id,
  name: z.string(),
  levelLabel: z.string(),
  from: ms,
  to: ms,
  generatedAt: ms,
  timeZone: z.string(),
  unit: reportRow,
  children: z.array(reportRow),
  monthly: z.array(
    z.object({
      month: z.string(),
      start: ms,
      meetingsHeld: z.number().int(),
      responseRate: rate,
      attendanceRate: rate,
    }),
  ),
  directives: z.array(
    z.object({
      directiveId: id,
      title: z.string(),
      kind: z.string(),
      number: z.string(),
      sentAt: ms,
      delivered: z.number().int(),
      read: z.number().int(),
      readRate: rate,
    }),
  ),
  concerns: z.array(z.object({ category: z.string(), status: z.string(), count: z.number().int() })),
  slowestUnits: z.array(
    z.object({
      unitId: id,
      name: z.string(),
      levelLabel: z.string(),
      medianFirstAnswerMs: z.number(),
      concernsOpened: z.number().int(),
      overdueConcerns: z.number().int(),
    }),
  ),
});

export const importResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  invalidRows: z.number().int(),
  issues: z.array(
    z.object({
      line: z.number().int(),
      code: z.string(),
      params: z.record(z.string(), z.union([z.string(), z.number()])),
    }),
  ),
  changes: z.array(z.object({ kind: z.enum(["create", "update"]), line: z.number().int(), name: z.string() }).loose()),
  unitsToCreate: z.array(z.string()),
  written: z.boolean().describe("false for a dry run or when invalid rows stopped the import"),
});

export const error = z.object({
  error: z.object({
    code: z
      .string()
      .describe(
        "Stable machine-readable code: unauthorized, forbidden, not_found, invalid_input, too_large, rate_limited, …",
      ),
    message: z.string().describe("A sentence for people, in the service's language"),
  }),
});
