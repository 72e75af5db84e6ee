import { z } from 'zod';
import { API_ERROR_STATUS, type ApiErrorCode } from './errors.js';
import type { RouteSpec } from './route.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** Path and query parameters as OpenAPI lists them, one per object key. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const shape = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(shape.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (shape.required ?? []).includes(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: Object.keys(API_ERROR_STATUS) }, message: { type: 'string' } },
    },
  },
};

/** The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. */
export function buildOpenApi(routes: readonly RouteSpec[], info: { title: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {
      [String(route.status ?? 200)]: {
        description: route.summary,
        content: route.produces
          ? { [route.produces]: { schema: { type: 'string' } } }
          : { 'application/json': { schema: route.response ? jsonSchema(route.response, 'output') : {} } },
      },
    };
    const codes = new Set<ApiErrorCode>(['VALIDATION_FAILED', ...((route.errors ?? []) as ApiErrorCode[])]);
    if (route.access !== 'public') codes.add('UNAUTHORIZED');
    // Partners are refused what their grants do not cover, on any route that is not open to all of them.
    if (route.access === 'admin' || (route.access !== 'public' && route.partners !== 'installation')) codes.add('FORBIDDEN');
    for (const code of codes) {
      const status = String(API_ERROR_STATUS[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/(?:^|[/_-])(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      ...(route.access === 'public' ? { security: [] } : { 'x-partners': route.partners ?? 'none' }),
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { ...info, description: 'priscan: SNMP priority-scanning monitor. Every /api/v1 route takes a bearer token (priscan token create).' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorBody },
    },
    paths,
  };
}

/** A self-contained page listing the API from its OpenAPI document (no CDN: operators' networks are often closed). */
export function docsPage(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}code,pre{font:13px ui-monospace,monospace}
details{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.4em .8em}summary{cursor:pointer}
.m{display:inline-block;width:4.5em;font-weight:bold}.GET{color:#0a6}.POST{color:#06c}.PATCH{color:#a60}.DELETE{color:#c00}
pre{background:#f6f6f6;padding:.6em;overflow:auto}</style></head>
<body><h1>${title}</h1><p>Machine-readable: <a href="/docs/json">/docs/json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>.</p>
<div id="routes">loading…</div>
<script>
fetch('/docs/json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('routes');root.textContent='';
  for(const [path,ops] of Object.entries(doc.paths))for(const [method,op] of Object.entries(ops)){
    const d=document.createElement('details');const s=document.createElement('summary');
    const m=document.createElement('span');m.className='m '+method.toUpperCase();m.textContent=method.toUpperCase();
    const c=document.createElement('code');c.textContent=path;s.append(m,c,' — '+op.summary);d.append(s);
    const pre=document.createElement('pre');pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
    d.append(pre);root.append(d);
  }
});
</script></body></html>
`;
}
