// /api/definitions (and its old name /api/all-configuration): export all definitions or one vhost's (vhost
// fields stripped), ?download=<file> for an attachment; import a JSON body or the web UI's multipart "file".
import { DefinitionsError, exportDefinitions, importDefinitions, type Definitions } from '../../broker/definitions.js';
import { badRequest, jsonResponse, noContent, notFound } from '../http.js';
import type { Json } from '../info.js';
import type { Req, Router } from '../router.js';

function download(req: Req): Record<string, string> {
  const f = req.query.get('download');
  return f ? { 'content-disposition': `attachment; filename=${f.replace(/[\r\n"]/g, '')}` } : {};
}

const stripVhost = (items: unknown[] | undefined) => (items ?? []).map((x) => {
  const { vhost: _vhost, ...rest } = x as Json;
  return rest;
});

function exportAll(req: Req): Response {
  return jsonResponse(exportDefinitions(req.broker, req.mgmt.version), 200, download(req));
}

function exportVhost(req: Req): Response {
  const vhost = req.param('vhost');
  if (!req.broker.vhosts.has(vhost)) throw badRequest('vhost_not_found');
  const all = exportDefinitions(req.broker, req.mgmt.version);
  const mine = (items: unknown[] | undefined) => stripVhost((items ?? []).filter((x) => (x as Json).vhost === vhost));
  return jsonResponse({
    rabbit_version: all.rabbit_version, rabbitmq_version: all.rabbitmq_version,
    parameters: mine(all.parameters as unknown[]), policies: mine(all.policies),
    queues: mine(all.queues), exchanges: mine(all.exchanges), bindings: mine(all.bindings),
  }, 200, download(req));
}

/** The definitions text of a JSON body or of a multipart form's "file" part (the web UI's upload). */
async function definitionsText(req: Req): Promise<string> {
  const type = req.header('content-type') ?? '';
  if (!type.startsWith('multipart/form-data')) return req.text();
  const form = await req.c.req.formData();
  const file = form.get('file');
  if (file === null) throw badRequest('failed_to_parse_json');
  return typeof file === 'string' ? file : await file.text();
}

async function importRoute(req: Req): Promise<Response> {
  const only = req.c.req.param('vhost');
  if (only !== undefined && !req.broker.vhosts.has(only)) throw notFound('vhost_not_found', 'not_found');
  const text = await definitionsText(req);
  let defs: Definitions;
  try {
    defs = text.trim() === '' ? {} : JSON.parse(text) as Definitions;
  } catch { throw badRequest('failed_to_parse_json'); }
  if (typeof defs !== 'object' || defs === null || Array.isArray(defs)) throw badRequest('failed_to_parse_json');
  if (only !== undefined) {
    // Into one vhost: its objects, whatever vhost the file names; no users, vhosts or permissions.
    const into = (items: unknown[] | undefined) => (items ?? []).map((x) => ({ ...(x as Json), vhost: only }));
    defs = {
      queues: into(defs.queues) as Definitions['queues'], exchanges: into(defs.exchanges) as Definitions['exchanges'],
      bindings: into(defs.bindings) as Definitions['bindings'], policies: into(defs.policies) as Definitions['policies'],
      parameters: into(defs.parameters) as Definitions['parameters'],
    };
  }
  try { importDefinitions(req.broker, defs); } catch (e) {
    if (e instanceof DefinitionsError) throw badRequest(e.message);
    throw e;
  }
  return noContent();
}

export function register(r: Router): void {
  for (const path of ['/definitions', '/all-configuration']) r.on(path, { auth: 'admin', GET: exportAll, POST: importRoute });
  r.on('/definitions/:vhost', { auth: 'admin', GET: exportVhost, POST: importRoute });
}
