/**
 * The OpenAPI 3.1 document of /api/v1, generated from the zod schemas the routes validate with
 * (zod 4's `z.toJSONSchema`, JSON Schema 2020-12 as OpenAPI 3.1 uses): one source of truth.
 */
import { z } from "zod";
import { error } from "./schemas.ts";

export interface ApiRoute {
  method: "get" | "post";
  /** OpenAPI path under /api/v1, parameters as {name}. */
  path: string;
  summary: string;
  query?: z.ZodObject;
  params?: z.ZodObject;
  /** Media types of the request body and their descriptions. */
  body?: Record<string, string>;
  response: z.ZodType;
}

function schemaOf(type: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(type, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return schema;
}

function outputSchema(type: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(type, { io: "output", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return schema;
}

function parameters(object: z.ZodObject | undefined, where: "query" | "path"): Record<string, unknown>[] {
  if (!object) return [];
  return Object.entries(object.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    const schema = schemaOf(type);
    return {
      name,
      in: where,
      required: where === "path" || !type.safeParse(undefined).success,
      description: schema.description,
      schema,
    };
  });
}

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

export function openApiDocument(routes: ApiRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      parameters: [...parameters(r.params, "path"), ...parameters(r.query, "query")],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                Object.entries(r.body).map(([type, description]) => [
                  type,
                  { schema: { type: "string", format: "binary", description } },
                ]),
              ),
            },
          }
        : {}),
      responses: {
        200: { description: "OK", content: { "application/json": { schema: outputSchema(r.response) } } },
        400: errorResponse("Malformed input"),
        401: errorResponse("No token, an unknown token or a revoked token"),
        403: errorResponse("Outside the token's subtree, or a read-only token asked to write"),
        404: errorResponse("No such unit or route"),
        413: errorResponse("Body too large"),
        429: errorResponse("Too many requests for this token: wait for Retry-After seconds"),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Chi Hội API",
      version: "1.0.0",
      description: "Read-and-import API of Chi Hội. Every error has the shape { error: { code, message } }.",
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A token from `chihoi api-token create`" },
      },
      schemas: { Error: outputSchema(error) },
    },
    paths,
  };
}
