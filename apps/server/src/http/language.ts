import { negotiateLocale, type Locale } from '@tessera/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The language this request is answered in: its Accept-Language among the supported
     * locales, else DEFAULT_LOCALE. Error messages use it on every transport (tRPC, REST, and
     * the refusals the server gives before a procedure runs); `data.reason` never changes.
     */
    locale: Locale;
  }
}

export interface LanguageSettings {
  supported: readonly Locale[];
  default: Locale;
}

/** Decides each request's language once, as it arrives. */
export function registerLanguage(app: FastifyInstance, locales: LanguageSettings): void {
  app.decorateRequest('locale', locales.default);
  app.addHook('onRequest', (request, _reply, done) => {
    request.locale = requestLocale(request, locales);
    done();
  });
}

/** The request's Accept-Language among the supported locales, else the default. */
export function requestLocale(request: FastifyRequest, locales: LanguageSettings): Locale {
  return negotiateLocale(request.headers['accept-language'], locales.supported, locales.default);
}
