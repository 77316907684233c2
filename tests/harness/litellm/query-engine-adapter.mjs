// Stands in for Prisma's native query-engine binary, which cannot be downloaded
// here, so that prisma-client-py (and so the LiteLLM proxy) runs against a real
// PostgreSQL. See README.md next to this file.
//
// prisma-client-py 0.11 starts PRISMA_QUERY_ENGINE_BINARY (the `query-engine` wrapper next to this file) as
//     <binary> --version
//     <binary> -p <port> --enable-metrics --enable-raw-queries
// with PRISMA_DML_PATH (the schema) and optionally OVERWRITE_DATASOURCES in the
// environment, then speaks HTTP to it:
//     GET  /status                         readiness
//     POST /                               {"query": "<GraphQL>", "variables": {}}
//                                          or {"batch": [{"query": ...}], "transaction": true}
//     POST /transaction/start              {"timeout": ms, "max_wait": ms} -> {"id": ...}
//     POST /transaction/<id>/commit|rollback
// A query inside an interactive transaction carries an X-transaction-id header.
//
// Prisma's official WebAssembly engine (@prisma/query-engine-wasm) executes the
// queries through @prisma/adapter-pg, but it only understands Prisma's JSON
// protocol. This script therefore translates the small GraphQL dialect that
// prisma-client-py's query builder emits (one aliased root field, arguments
// whose values are JSON literals or enum names, nested selections) into a JSON
// protocol request, and translates the answer back into what the GraphQL
// protocol returned: the root field renamed to the alias, typed scalars
// ({"$type": "DateTime", "value": ...}) unwrapped to their plain value, and raw
// query results ({columns, types, rows}) turned into the
// [{column: {"prisma__type": ..., "prisma__value": ...}}] rows the Python client
// deserialises.
//
// LITELLM_HARNESS_NODE_DIR must name the directory whose node_modules holds the
// packages pinned in package.json next to this file.

import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

const NODE_DIR = process.env.LITELLM_HARNESS_NODE_DIR
const TRACE = '{}'

// ---------------------------------------------------------------- GraphQL parsing

const TOKEN = /\s+|,|([{}()[\]:])|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([_A-Za-z][_0-9A-Za-z]*)/y

export function tokenize (source) {
  const tokens = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < source.length) {
    const at = TOKEN.lastIndex
    const match = TOKEN.exec(source)
    if (match === null) {
      throw new Error(`unexpected character at ${at}: ${JSON.stringify(source.slice(at, at + 20))}`)
    }
    if (match[1]) tokens.push({ kind: 'punct', value: match[1] })
    else if (match[2]) tokens.push({ kind: 'string', value: JSON.parse(match[2]) })
    else if (match[3]) tokens.push({ kind: 'number', value: Number(match[3]) })
    else if (match[4]) tokens.push({ kind: 'name', value: match[4] })
  }
  return tokens
}

class Parser {
  constructor (source) {
    this.tokens = tokenize(source)
    this.pos = 0
  }

  peek () { return this.tokens[this.pos] }

  next () {
    const token = this.tokens[this.pos++]
    if (token === undefined) throw new Error('unexpected end of query')
    return token
  }

  expect (value) {
    const token = this.next()
    if (token.kind !== 'punct' || token.value !== value) {
      throw new Error(`expected ${value}, got ${JSON.stringify(token.value)}`)
    }
  }

  isPunct (value) {
    const token = this.peek()
    return token !== undefined && token.kind === 'punct' && token.value === value
  }

  name () {
    const token = this.next()
    if (token.kind !== 'name') throw new Error(`expected a name, got ${JSON.stringify(token.value)}`)
    return token.value
  }

  // document := ("query" | "mutation") selectionSet
  document () {
    const operation = this.name()
    if (operation !== 'query' && operation !== 'mutation') throw new Error(`unsupported operation ${operation}`)
    const fields = this.selectionSet()
    if (this.pos !== this.tokens.length) throw new Error('trailing tokens after the operation')
    return { operation, fields }
  }

  // selectionSet := "{" field* "}";  field := [alias ":"] name [arguments] [selectionSet]
  selectionSet () {
    this.expect('{')
    const fields = []
    while (!this.isPunct('}')) {
      let alias = null
      let name = this.name()
      if (this.isPunct(':')) {
        this.next()
        alias = name
        name = this.name()
      }
      const args = this.isPunct('(') ? this.arguments() : null
      const selection = this.isPunct('{') ? this.selectionSet() : null
      fields.push({ alias, name, args, selection })
    }
    this.expect('}')
    return fields
  }

  arguments () {
    this.expect('(')
    const args = {}
    while (!this.isPunct(')')) {
      const key = this.name()
      this.expect(':')
      args[key] = this.value()
    }
    this.expect(')')
    return args
  }

  value () {
    const token = this.next()
    if (token.kind === 'string' || token.kind === 'number') return token.value
    if (token.kind === 'name') {
      if (token.value === 'true') return true
      if (token.value === 'false') return false
      if (token.value === 'null') return null
      return token.value // an enum value: the JSON protocol takes it as a string
    }
    if (token.value === '[') {
      const list = []
      while (!this.isPunct(']')) list.push(this.value())
      this.next()
      return list
    }
    if (token.value === '{') {
      const object = {}
      while (!this.isPunct('}')) {
        const key = this.name()
        this.expect(':')
        object[key] = this.value()
      }
      this.next()
      return object
    }
    throw new Error(`unexpected ${JSON.stringify(token.value)} where a value belongs`)
  }
}

export function parseGraphql (source) {
  return new Parser(source).document()
}

// ------------------------------------------------- GraphQL -> JSON protocol

// Longest prefixes first, so that findUniqueX is not read as findX.
const MODEL_ACTIONS = ['findUnique', 'findFirst', 'findMany', 'createOne', 'createMany', 'updateOne',
  'updateMany', 'deleteOne', 'deleteMany', 'upsertOne', 'aggregate', 'groupBy']
const RAW_ACTIONS = new Set(['queryRaw', 'executeRaw'])

export function splitRootField (name) {
  if (RAW_ACTIONS.has(name)) return { action: name, modelName: undefined }
  for (const action of MODEL_ACTIONS) {
    if (name.startsWith(action) && name.length > action.length) {
      let modelName = name.slice(action.length)
      let fullAction = action
      if ((action === 'findUnique' || action === 'findFirst') && modelName.endsWith('OrThrow')) {
        modelName = modelName.slice(0, -'OrThrow'.length)
        fullAction = action + 'OrThrow'
      }
      return { action: fullAction, modelName }
    }
  }
  throw new Error(`unknown root field ${name}`)
}

function selectionToJson (fields) {
  const selection = {}
  for (const field of fields || []) {
    if (field.args === null && field.selection === null) {
      selection[field.name] = true
    } else {
      const nested = {}
      if (field.args !== null) nested.arguments = field.args
      if (field.selection !== null) nested.selection = selectionToJson(field.selection)
      selection[field.name] = nested
    }
  }
  return selection
}

// ------------------------------------------------------------- Json arguments
//
// The GraphQL protocol took a Json field's value as a string of JSON text and
// parsed it; the JSON protocol takes a plain string as a JSON *string* and wants
// {"$type": "Json", "value": "<JSON text>"} instead. Which arguments are Json is
// known from the data model, so the arguments are walked the way Prisma's input
// types nest: where filters, write data, and relation operations on other models.

// model name -> { field name -> { type, relation: bool } } from the schema text.
export function parseDatamodel (schema) {
  const models = {}
  const blocks = [...schema.matchAll(/^model\s+(\w+)\s*{([\s\S]*?)^}/gm)]
  for (const [, name] of blocks) models[name] = {}
  for (const [, name, body] of blocks) {
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim()
      const match = /^(\w+)\s+(\w+)(\[\])?\??/.exec(line)
      if (!match || line.startsWith('@@')) continue
      models[name][match[1]] = { type: match[2], list: Boolean(match[3]), relation: match[2] in models }
    }
  }
  return models
}

const JSON_FILTER_VALUES = new Set(['equals', 'not', 'lt', 'lte', 'gt', 'gte', 'array_contains', 'array_starts_with', 'array_ends_with'])

function jsonValue (value) {
  return typeof value === 'string' ? { $type: 'Json', value } : value
}

function each (value, fn) {
  return Array.isArray(value) ? value.map(fn) : fn(value)
}

export class JsonMarker {
  constructor (models) { this.models = models }

  field (model, key) { return (this.models[model] || {})[key] }

  where (value, model) {
    if (value === null || typeof value !== 'object') return value
    return each(value, (object) => {
      const out = {}
      for (const [key, item] of Object.entries(object)) {
        const field = this.field(model, key)
        if (key === 'AND' || key === 'OR' || key === 'NOT') out[key] = this.where(item, model)
        else if (field && field.relation) out[key] = this.relationFilter(item, field.type)
        else if (field && field.type === 'Json') out[key] = this.jsonFilter(item)
        else out[key] = item
      }
      return out
    })
  }

  relationFilter (value, model) {
    if (value === null || typeof value !== 'object') return value
    const keys = Object.keys(value)
    if (keys.length > 0 && keys.every((key) => ['some', 'every', 'none', 'is', 'isNot'].includes(key))) {
      const out = {}
      for (const key of keys) out[key] = this.where(value[key], model)
      return out
    }
    return this.where(value, model)
  }

  jsonFilter (value) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return jsonValue(value)
    const out = {}
    for (const [key, item] of Object.entries(value)) out[key] = JSON_FILTER_VALUES.has(key) ? jsonValue(item) : item
    return out
  }

  data (value, model) {
    if (value === null || typeof value !== 'object') return value
    return each(value, (object) => {
      const out = {}
      for (const [key, item] of Object.entries(object)) {
        const field = this.field(model, key)
        if (field && field.relation) out[key] = this.relationWrite(item, field.type)
        else if (field && field.type === 'Json') out[key] = item !== null && typeof item === 'object' && 'set' in item ? { ...item, set: jsonValue(item.set) } : jsonValue(item)
        else out[key] = item
      }
      return out
    })
  }

  relationWrite (value, model) {
    if (value === null || typeof value !== 'object') return value
    const out = {}
    for (const [key, item] of Object.entries(value)) {
      if (key === 'create') out[key] = this.data(item, model)
      else if (key === 'createMany') out[key] = { ...item, data: this.data(item.data, model) }
      else if (key === 'connectOrCreate') out[key] = each(item, (x) => ({ ...x, where: this.where(x.where, model), create: this.data(x.create, model) }))
      else if (key === 'upsert') out[key] = each(item, (x) => this.upsertArgs(x, model))
      else if (key === 'update' || key === 'updateMany') out[key] = each(item, (x) => this.updateArgs(x, model))
      else if (['connect', 'disconnect', 'delete', 'set', 'deleteMany'].includes(key)) out[key] = typeof item === 'boolean' ? item : this.where(item, model)
      else out[key] = item
    }
    return out
  }

  updateArgs (value, model) {
    if (value !== null && typeof value === 'object' && 'data' in value && !this.field(model, 'data')) {
      return { ...value, where: this.where(value.where, model), data: this.data(value.data, model) }
    }
    return this.data(value, model)
  }

  upsertArgs (value, model) {
    const out = { ...value }
    if ('where' in value) out.where = this.where(value.where, model)
    if ('create' in value) out.create = this.data(value.create, model)
    if ('update' in value) out.update = this.data(value.update, model)
    return out
  }

  rootArguments (args, model) {
    if (!model || !(model in this.models)) return args
    const out = { ...args }
    for (const key of ['where', 'cursor', 'having']) if (key in out) out[key] = this.where(out[key], model)
    if ('data' in out) out.data = this.data(out.data, model)
    if ('create' in out) out.create = this.data(out.create, model)
    if ('update' in out) out.update = this.data(out.update, model)
    return out
  }

  selection (selection, model) {
    const out = {}
    for (const [key, item] of Object.entries(selection)) {
      const field = this.field(model, key)
      if (field && field.relation && item !== null && typeof item === 'object') {
        out[key] = { ...item }
        if (item.arguments) out[key].arguments = this.rootArguments(item.arguments, field.type)
        if (item.selection) out[key].selection = this.selection(item.selection, field.type)
      } else {
        out[key] = item
      }
    }
    return out
  }

  mark (request) {
    const model = request.modelName
    if (!model) return request
    return {
      ...request,
      query: {
        arguments: this.rootArguments(request.query.arguments, model),
        selection: this.selection(request.query.selection, model)
      }
    }
  }
}

// One GraphQL request of prisma-client-py -> { alias, request } where request is a JSON protocol query.
export function toJsonProtocol (source, marker) {
  const document = parseGraphql(source)
  if (document.fields.length !== 1) throw new Error('expected exactly one root field')
  const root = document.fields[0]
  const { action, modelName } = splitRootField(root.name)
  const request = {
    action,
    query: { arguments: root.args || {}, selection: selectionToJson(root.selection) }
  }
  if (modelName !== undefined) request.modelName = modelName
  return { alias: root.alias || root.name, action, request: marker ? marker.mark(request) : request }
}

// ------------------------------------------------ JSON protocol -> GraphQL answers

export function unwrapTyped (value) {
  if (Array.isArray(value)) return value.map(unwrapTyped)
  if (value !== null && typeof value === 'object') {
    if (typeof value.$type === 'string' && 'value' in value && Object.keys(value).length === 2) {
      // DateTime, BigInt, Decimal and Bytes values are strings; Json values are the JSON text,
      // which is what prisma-client-py's Json fields parse.
      return value.value
    }
    const out = {}
    for (const [key, item] of Object.entries(value)) out[key] = unwrapTyped(item)
    return out
  }
  return value
}

// {columns, types, rows} -> [{column: {prisma__type, prisma__value}}]. A NULL is
// {"prisma__type": "null", "prisma__value": null}, as the native engine answers (prisma-engines
// query-engine-tests queries/raw typed_output.rs); prisma-client-py's bigint, decimal and date
// deserializers fail on a null value under their column's type (LiteLLM's key lookup did).
export function rawRows (result) {
  if (result === null || typeof result !== 'object' || !Array.isArray(result.columns)) return result
  const { columns, types, rows } = result
  return rows.map((row) => {
    const object = {}
    columns.forEach((column, index) => {
      const type = types[index]
      const value = row[index]
      if (value === null || value === undefined) {
        object[column] = { prisma__type: 'null', prisma__value: null }
      } else if (typeof type === 'string' && type.endsWith('-array') && Array.isArray(value)) {
        const base = type.slice(0, -'-array'.length)
        object[column] = {
          prisma__type: 'array',
          prisma__value: value.map((item) => ({ prisma__type: item === null ? 'null' : base, prisma__value: item }))
        }
      } else {
        object[column] = { prisma__type: type, prisma__value: value }
      }
    })
    return object
  })
}

export function translateAnswer (answer, alias, action) {
  if (answer === null || typeof answer !== 'object' || !answer.data) return answer
  const values = Object.values(answer.data)
  if (values.length !== 1) return answer
  let value = values[0]
  if (action === 'queryRaw') value = rawRows(unwrapTyped(value))
  else value = unwrapTyped(value)
  return { ...answer, data: { [alias]: value } }
}

// ------------------------------------------------------------------ the engine

function datasourceUrl (schema) {
  const overrides = process.env.OVERWRITE_DATASOURCES
  if (overrides) {
    const list = JSON.parse(overrides)
    if (Array.isArray(list) && list.length > 0 && list[0].url) return list[0].url
  }
  const block = /datasource\s+\w+\s*{([^}]*)}/m.exec(schema)
  const env = block && /url\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(block[1])
  const literal = block && /url\s*=\s*"([^"]+)"/.exec(block[1])
  const url = env ? process.env[env[1]] : literal ? literal[1] : process.env.DATABASE_URL
  if (!url) throw new Error('no database URL: set the datasource env var or OVERWRITE_DATASOURCES')
  return url
}

// Prisma-only URL parameters that node-postgres does not understand.
const PRISMA_PARAMS = ['connection_limit', 'pool_timeout', 'schema', 'pgbouncer', 'statement_cache_size',
  'socket_timeout', 'connect_timeout']

function poolConfig (url) {
  const parsed = new URL(url)
  const limit = Number(parsed.searchParams.get('connection_limit')) || 10
  const schema = parsed.searchParams.get('schema') || undefined
  const connectTimeout = Number(parsed.searchParams.get('connect_timeout')) || 10
  for (const key of PRISMA_PARAMS) parsed.searchParams.delete(key)
  return { pool: { connectionString: parsed.toString(), max: limit, connectionTimeoutMillis: connectTimeout * 1000 }, schema }
}

async function loadEngine () {
  if (!NODE_DIR) throw new Error('LITELLM_HARNESS_NODE_DIR is not set')
  const require = createRequire(path.join(NODE_DIR, 'package.json'))
  const wasmDir = path.join(path.dirname(require.resolve('@prisma/query-engine-wasm/package.json')), 'postgresql')
  const bindings = await import(pathToFileURL(path.join(wasmDir, 'query_engine_bg.js')).href)
  const module = new WebAssembly.Module(fs.readFileSync(path.join(wasmDir, 'query_engine_bg.wasm')))
  const instance = new WebAssembly.Instance(module, { './query_engine_bg.js': bindings })
  bindings.__wbg_set_wasm(instance.exports)
  return { require, bindings }
}

function engineCommit (require) {
  const version = require('@prisma/query-engine-wasm/package.json').version
  return version.slice(version.lastIndexOf('.') + 1)
}

// adapter-pg 5.17 knows neither `name` (OID 19) nor `name[]` (1003), which LiteLLM's
// start-up queries on pg_views return; the native engine reads both as text.
const TYPE_ALIASES = { 19: 25, 1003: 1009 }

function teachNameType (pg) {
  pg.types.setTypeParser(1003, pg.types.getTypeParser(1009))
  const retype = (result) => {
    for (const field of (result && result.fields) || []) {
      if (field.dataTypeID in TYPE_ALIASES) field.dataTypeID = TYPE_ALIASES[field.dataTypeID]
    }
    return result
  }
  for (const cls of [pg.Client, pg.Pool]) {
    const original = cls.prototype.query
    cls.prototype.query = function (...args) {
      const result = original.apply(this, args)
      return result && typeof result.then === 'function' ? result.then(retype) : result
    }
  }
}

function log (...args) {
  process.stderr.write(`[query-engine-adapter] ${args.join(' ')}\n`)
}

async function serve (port) {
  const { require, bindings } = await loadEngine()
  const pg = require('pg')
  const { PrismaPg } = require('@prisma/adapter-pg')
  const { bindAdapter } = require('@prisma/driver-adapter-utils')

  teachNameType(pg)
  const schema = fs.readFileSync(process.env.PRISMA_DML_PATH, 'utf8')
  const { pool: poolOptions, schema: pgSchema } = poolConfig(datasourceUrl(schema))
  const pool = new pg.Pool(poolOptions)
  pool.on('error', (error) => log('idle client error:', error.message))
  const adapter = bindAdapter(new PrismaPg(pool, pgSchema ? { schema: pgSchema } : undefined))
  const logLevel = process.env.LITELLM_HARNESS_ENGINE_LOG_LEVEL || 'error'
  const engine = new bindings.QueryEngine({ datamodel: schema, logLevel, logQueries: false },
    (line) => { if (logLevel !== 'error' || line.includes('"level":"ERROR"')) log(line) }, adapter)
  await engine.connect(TRACE)
  const marker = new JsonMarker(parseDatamodel(schema))

  async function runQuery (body, txId) {
    if (Array.isArray(body.batch)) {
      const items = body.batch.map((item) => toJsonProtocol(item.query, marker))
      const request = { batch: items.map((item) => item.request) }
      if (body.transaction) request.transaction = {}
      const answer = JSON.parse(await engine.query(JSON.stringify(request), TRACE, txId))
      if (Array.isArray(answer.batchResult)) {
        answer.batchResult = answer.batchResult.map((result, i) => translateAnswer(result, items[i].alias, items[i].action))
      }
      return answer
    }
    const { alias, action, request } = toJsonProtocol(body.query, marker)
    const answer = JSON.parse(await engine.query(JSON.stringify(request), TRACE, txId))
    return translateAnswer(answer, alias, action)
  }

  async function handle (req, body) {
    const url = new URL(req.url, 'http://engine')
    if (req.method === 'GET' && url.pathname === '/status') return { status: 'ok' }
    if (req.method === 'POST' && url.pathname === '/') {
      return runQuery(JSON.parse(body), req.headers['x-transaction-id'] || undefined)
    }
    if (req.method === 'POST' && url.pathname === '/transaction/start') {
      return JSON.parse(await engine.startTransaction(body || '{}', TRACE))
    }
    const tx = /^\/transaction\/([^/]+)\/(commit|rollback)$/.exec(url.pathname)
    if (req.method === 'POST' && tx) {
      const id = decodeURIComponent(tx[1])
      const result = tx[2] === 'commit' ? await engine.commitTransaction(id, TRACE) : await engine.rollbackTransaction(id, TRACE)
      return JSON.parse(result || '{}')
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      // The wasm engine keeps no metrics; answer an empty set rather than fail.
      return url.searchParams.get('format') === 'prometheus' ? '' : { counters: [], gauges: [], histograms: [] }
    }
    const error = new Error(`no route for ${req.method} ${url.pathname}`)
    error.status = 404
    throw error
  }

  const onRequest = (req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', async () => {
      let status = 200
      let payload
      try {
        payload = await handle(req, Buffer.concat(chunks).toString('utf8'))
      } catch (error) {
        status = error.status || 500
        log('request failed:', req.method, req.url, error && error.stack ? error.stack : String(error))
        payload = { errors: [{ error: String(error && error.message), user_facing_error: { is_panic: false, message: String(error && error.message) } }] }
      }
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload)
      res.writeHead(status, { 'Content-Type': typeof payload === 'string' ? 'text/plain' : 'application/json' })
      res.end(text)
    })
  }

  // prisma-client-py connects to http://localhost:<port>; answer on both loopback families.
  const servers = []
  for (const host of ['127.0.0.1', '::1']) {
    const server = http.createServer(onRequest)
    server.keepAliveTimeout = 60000
    await new Promise((resolve) => {
      server.once('error', (error) => { if (host === '127.0.0.1') throw error; resolve() })
      server.listen(port, host, () => { servers.push(server); resolve() })
    })
  }

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    for (const server of servers) server.close()
    try { await engine.disconnect(TRACE) } catch (error) { log('disconnect:', error.message) }
    await pool.end().catch(() => {})
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

async function main (argv) {
  if (argv.includes('--version') || argv.includes('-v')) {
    const require = createRequire(path.join(NODE_DIR || '.', 'package.json'))
    process.stdout.write(`query-engine ${engineCommit(require)}\n`)
    return
  }
  const flag = argv.findIndex((arg) => arg === '-p' || arg === '--port')
  const port = Number(flag >= 0 ? argv[flag + 1] : process.env.PRISMA_ENGINE_PORT)
  if (!port) throw new Error('usage: query-engine-adapter.mjs --version | -p <port>')
  await serve(port)
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    log(error && error.stack ? error.stack : String(error))
    process.exit(1)
  })
}
