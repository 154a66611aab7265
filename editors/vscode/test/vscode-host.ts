/**
 * A stand-in for the `vscode` module, so that the extension's own client code
 * (`src/client.ts`, built on vscode-languageclient) can be constructed under plain Node: VS Code
 * itself cannot run here. Nothing of the protocol is faked: it only lets vscode-languageclient
 * load and compute the capabilities it would send, and answers `workspace.getConfiguration` the
 * way VS Code does (defaults from package.json's `contributes.configuration`, then overrides).
 *
 * Import it before anything that imports `vscode`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ModuleInternals {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  _cache: Record<string, unknown>;
}

type Json = { [key: string]: unknown };

/** The VS Code version reported (the extension's minimum, `engines.vscode`). */
export const VSCODE_VERSION = '1.91.0';

let configuration: Json = {};

/** The settings tree VS Code would resolve: package.json defaults, then dotted overrides. */
export function configurationFromPackage(packageJsonPath: string, overrides: Record<string, unknown>): Json {
  const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> }[] };
  };
  const tree: Json = {};
  const set = (dotted: string, value: unknown): void => {
    const parts = dotted.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      node = (typeof next === 'object' && next !== null ? next : (node[part] = {})) as Json;
    }
    node[parts[parts.length - 1] as string] = JSON.parse(JSON.stringify(value ?? null)) as unknown;
  };
  for (const block of pkg.contributes.configuration) {
    for (const [key, schema] of Object.entries(block.properties)) {
      set(key, schema.default);
    }
  }
  for (const [key, value] of Object.entries(overrides)) {
    set(key, value);
  }
  return tree;
}

/** What `vscode.workspace.getConfiguration()` answers from now on. */
export function setConfiguration(tree: Json): void {
  configuration = tree;
}

/** `vscode.workspace.getConfiguration(name)`: a copy of the section, with `get(key, fallback)`. */
export function getConfiguration(name?: string): Json {
  let node: unknown = configuration;
  for (const part of (name ?? '').split('.').filter(Boolean)) {
    node = typeof node === 'object' && node !== null ? (node as Json)[part] : undefined;
  }
  const copy = JSON.parse(JSON.stringify(node ?? {})) as Json;
  Object.defineProperty(copy, 'get', {
    enumerable: false,
    value: (key: string, fallback?: unknown) => {
      let value: unknown = copy;
      for (const part of key.split('.')) {
        value = typeof value === 'object' && value !== null ? (value as Json)[part] : undefined;
      }
      return value === undefined ? fallback : value;
    },
  });
  return copy;
}

/** Any other API: a callable, constructible object whose members are the same, so that the
 * library's module-level code and constructors run; none of it is used by the test. */
function inert(name: string): unknown {
  const target = function (this: unknown): unknown {
    return new.target === undefined || new.target === proxy ? inert(`new ${name}`) : this;
  };
  const members = new Map<PropertyKey, unknown>();
  const proxy: unknown = new Proxy(target, {
    get(fn, key) {
      if (key === 'prototype') return fn.prototype;
      if (key === 'then') return undefined;
      if (key === Symbol.toPrimitive) return () => 0;
      if (!members.has(key)) members.set(key, inert(`${name}.${String(key)}`));
      return members.get(key);
    },
  });
  return proxy;
}

const known: Json = {
  __esModule: true,
  version: VSCODE_VERSION,
  env: { language: 'en', appName: 'Visual Studio Code', machineId: 'test', sessionId: 'test' },
  workspace: new Proxy(
    { getConfiguration, workspaceFolders: undefined },
    {
      get(target: Json, key: PropertyKey) {
        return typeof key === 'string' && key in target ? target[key] : inert(`workspace.${String(key)}`);
      },
    },
  ),
};

const vscode = new Proxy(known, {
  get(target, key) {
    if (typeof key === 'string' && key in target) return target[key];
    if (key === 'then') return undefined;
    const value = inert(String(key));
    target[key as string] = value;
    return value;
  },
});

const Module = require('node:module') as ModuleInternals;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request: string, ...rest: unknown[]): string {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
Module._cache['vscode'] = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };

export const PACKAGE_JSON = join(__dirname, '..', '..', 'package.json');
