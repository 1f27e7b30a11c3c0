/**
 * Development identities for GraphiQL and the dashboard: in development only, the gateway signs a
 * token for each of `npm run tokens`' identities with the local development client key, so a
 * newcomer picks "analyst" from a list instead of pasting a token. Configuration refuses the key in
 * production, and without it this route does not exist.
 */
import express, { type Router } from 'express';
import { devIdentities } from '../../scripts/dev-identities.js';
import { mintClientToken } from '../../subgraphs/kit/auth/client-tokens.js';
import { loadSigningKey } from '../../subgraphs/kit/auth/keys.js';

export const DEV_IDENTITIES_PATH = '/dev-identities';

/**
 * Runs in the browser, on GraphiQL and on the dashboard: fills a <select> with the development
 * identities, remembers the choice for the tab (sessionStorage: tokens never go to localStorage)
 * and tells the page when it changes. Pages read `HutongIdentity.token()` for each request.
 */
export const IDENTITY_PICKER_JS = `'use strict';
window.HutongIdentity = (function () {
  var KEY = 'hutong.identity';
  var current = { name: null, token: null };
  var listeners = [];
  function choose(identity) {
    current = { name: identity.name, token: identity.token };
    try { sessionStorage.setItem(KEY, identity.name); } catch (e) { /* storage may be off */ }
    listeners.forEach(function (fn) { fn(current); });
  }
  return {
    token: function () { return current.token; },
    name: function () { return current.name; },
    onChange: function (fn) { listeners.push(fn); },
    /** Resolves true once an identity is chosen, false when the gateway offers none (not development). */
    init: function (select, path, preferred) {
      if (!path) return Promise.resolve(false);
      return fetch(path, { credentials: 'same-origin' })
        .then(function (res) {
          if (!res.ok) throw new Error('development identities: HTTP ' + res.status);
          return res.json();
        })
        .then(function (body) {
          var byName = {};
          body.identities.forEach(function (identity) {
            byName[identity.name] = identity;
            var option = document.createElement('option');
            option.value = identity.name;
            option.textContent = identity.name + ' — ' + identity.description;
            select.appendChild(option);
          });
          var stored = null;
          try { stored = sessionStorage.getItem(KEY); } catch (e) { /* storage may be off */ }
          var chosen = byName[stored] || byName[preferred] || body.identities[0];
          select.value = chosen.name;
          choose(chosen);
          select.addEventListener('change', function () {
            if (byName[select.value]) choose(byName[select.value]);
          });
          return true;
        });
    },
  };
})();
`;

export interface DevIdentityToken {
  name: string;
  description: string;
  role: string;
  token: string;
}

/** Tokens are valid 8 hours; a list older than one hour is signed again. */
const REFRESH_AFTER_MS = 3600_000;

export function devIdentitiesRouter(signingKeyFile: string, now: () => number = Date.now): Router {
  let cached: { at: number; list: Promise<DevIdentityToken[]> } | undefined;
  const list = (): Promise<DevIdentityToken[]> => {
    if (!cached || now() - cached.at > REFRESH_AFTER_MS) {
      const signing = (async () => {
        const key = await loadSigningKey(signingKeyFile);
        return Promise.all(
          devIdentities().map(async (identity) => ({
            name: identity.name,
            description: identity.description,
            role: identity.claims.role,
            token: await mintClientToken(key, identity.claims),
          })),
        );
      })();
      cached = { at: now(), list: signing };
      // A key that could not be read is tried again on the next request.
      signing.catch(() => (cached = undefined));
    }
    return cached.list;
  };
  const router = express.Router();
  router.get(DEV_IDENTITIES_PATH, (_req, res, next) => {
    list().then((identities) => {
      res.set('Cache-Control', 'no-store');
      res.set('X-Content-Type-Options', 'nosniff');
      res.json({ identities });
    }, next);
  });
  return router;
}
