import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { VERSION } from '../version.js';
import type { HeraldApp } from './types.js';
import { contentSecurityPolicy } from './ui.js';

/** Herald's mark, as the UI's favicon draws it. */
const MARK =
  '<rect width="32" height="32" rx="7" fill="#2563eb"/><path d="M9 8h3v6.5h8V8h3v16h-3v-6.5h-8V24H9z" fill="#fff"/>';
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><title>Herald</title>${MARK}</svg>`;
const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 270 32" width="270" height="32"><title>Herald API reference</title>' +
  `${MARK}<text x="42" y="23" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="19" font-weight="700" fill="#111827">Herald <tspan font-weight="400" fill="#4b5563">API reference</tspan></text></svg>`;

/**
 * Swagger UI restyled to look like the dashboard: a light top bar with Herald's mark, the
 * dashboard's fonts and accent, and no "explore" box (the page documents this server only).
 */
const THEME_CSS = `
body { margin: 0; background: #f6f7f9; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; }
.swagger-ui, .swagger-ui .info .title, .swagger-ui .opblock-tag, .swagger-ui .opblock .opblock-summary-description,
.swagger-ui .info p, .swagger-ui .info li, .swagger-ui table thead tr th, .swagger-ui .parameter__name,
.swagger-ui .response-col_status, .swagger-ui .tab li, .swagger-ui label, .swagger-ui .btn, .swagger-ui select,
.swagger-ui .model-title, .swagger-ui section.models h4 { font-family: inherit; }
.swagger-ui .topbar { background: #fff; border-bottom: 1px solid #e5e7eb; padding: 10px 0; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .topbar a { max-width: none; }
.swagger-ui .topbar img { height: 32px; width: 270px; max-width: none; }
.swagger-ui .info .title small.version-stamp { background: #2563eb; }
.swagger-ui .info a, .swagger-ui a.nostyle:hover { color: #2563eb; }
.swagger-ui .opblock-tag { border-bottom-color: #e5e7eb; }
.swagger-ui .opblock-tag small { color: #4b5563; font-size: 14px; }
.swagger-ui .btn.authorize { color: #2563eb; border-color: #2563eb; }
.swagger-ui .btn.authorize svg { fill: #2563eb; }
.swagger-ui .scheme-container { box-shadow: none; border-bottom: 1px solid #e5e7eb; background: #fff; }
.swagger-ui .operation-filter-input { border-color: #d1d5db; }
`;

/**
 * Registers the OpenAPI document (`app.swagger()`) with its header: title, version,
 * introduction, tags and the bearer scheme. Shared schemas are referenced by their `$id`,
 * so the document's component names are the schemas' own.
 */
export async function registerOpenApiDocument(app: HeraldApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald API',
        version: VERSION,
        description: API_DESCRIPTION,
      },
      tags: API_TAGS,
      components: {
        securitySchemes: {
          HTTPBearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An admin token or a consumer-portal token.',
          },
        },
      },
      security: [{ HTTPBearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}`,
    },
  });
}

/**
 * `GET /docs`: the API reference, rendered by Swagger UI (served from the package, so it works
 * offline) from the same OpenAPI document as `/api/v1/openapi.json`, under the dashboard's
 * Content-Security-Policy (every script is a file from Herald; nothing inline, nothing remote:
 * the spec validator badge, which would call validator.swagger.io, is off).
 */
export async function apiDocsRoutes(app: HeraldApp): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: {
      docExpansion: 'list',
      deepLinking: true,
      filter: true,
      validatorUrl: null,
      displayRequestDuration: true,
      defaultModelsExpandDepth: 0,
      tryItOutEnabled: false,
    },
    staticCSP: contentSecurityPolicy('dashboard'),
    logo: { type: 'image/svg+xml', content: Buffer.from(LOGO), href: '/docs', target: '_self' },
    theme: {
      title: 'Herald API reference',
      css: [{ filename: 'herald.css', content: THEME_CSS }],
      favicon: [
        {
          filename: 'favicon.svg',
          rel: 'icon',
          sizes: 'any',
          type: 'image/svg+xml',
          content: Buffer.from(FAVICON),
        },
      ],
    },
  });
}

/** The reference's introduction (Markdown), shown above the operation groups. */
const API_DESCRIPTION = `Herald delivers your platform's events to your customers' webhook endpoints: signed,
retried with backoff, every attempt recorded.

**Svix-compatible.** Paths, field names, list envelopes (\`data\`, \`iterator\`, \`prevIterator\`, \`done\`)
and error bodies follow the Svix API v1, so the official Svix SDKs work unchanged. Herald's own
additions are marked *Herald* in their descriptions, and are extra fields or parameters that
Svix clients ignore.

**Authentication.** Send \`Authorization: Bearer <token>\`: an admin token (every application), or a
consumer-portal token from \`POST /api/v1/auth/app-portal-access/{app_id}\` (one application, expires).

**Example.** Publish an event to one of your customers:

\`\`\`sh
curl -X POST http://localhost:8040/api/v1/app/acme/msg \\
  -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"eventType":"invoice.paid","eventId":"in_1001-paid","payload":{"invoiceId":"in_1001","amount":4200}}'
\`\`\`

Then find what failed: \`GET /api/v1/app/acme/msg?delivery_status=exhausted\`.

The machine-readable document is at [/api/v1/openapi.json](/api/v1/openapi.json).`;

/** The operation groups, in the order a new user meets them, each with a line on what it is for. */
const API_TAGS = [
  {
    name: 'Application',
    description: 'One per customer of your platform; its `uid` works wherever its id does.',
  },
  {
    name: 'Endpoint',
    description: 'The URLs a customer registered, their secrets, headers, health, recovery and replays.',
  },
  { name: 'Event Type', description: 'The event catalog: names, descriptions, JSON Schemas and examples.' },
  { name: 'Message', description: 'Publishing events, and the history of what was sent.' },
  { name: 'Message Attempt', description: 'Every HTTP try of every delivery, and resending.' },
  { name: 'Background Task', description: 'Progress of recover, replay-missing and bulk-replay tasks.' },
  { name: 'Authentication', description: 'Consumer-portal links and signing out.' },
  { name: 'Statistics', description: 'Herald: the operator overview across every application.' },
  { name: 'Health', description: 'Liveness and readiness for probes.' },
];
