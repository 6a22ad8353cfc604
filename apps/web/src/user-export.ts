import type { Session } from '@tessera/client';
import { messageFor } from './errors.js';
import { currentLocale, i18n } from './i18n/index.js';

/** The files GET /api/users/export writes, as the Users page offers them (worded as `export.<format>`). */
export const exportFormats = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** The export as a file, with the name to save it under. */
export interface ExportFile {
  blob: Blob;
  fileName: string;
}

/** A refused or failed export, with a sentence fit to show. */
export class ExportError extends Error {}

/**
 * Fetches every user as one file. The export is plain HTTP (a file is not a tRPC answer), so
 * it carries the session's access token itself: refreshed first when none is held, and once
 * more if the server answers 401 (the token expired on the way), like the tRPC client does.
 */
export async function fetchUserExport(
  session: Pick<Session, 'accessToken' | 'refresh'>,
  format: ExportFormat,
  options: { fetch?: typeof fetch; now?: Date } = {},
): Promise<ExportFile> {
  const get = options.fetch ?? fetch;
  const send = (token: string) =>
    get(`/api/users/export?format=${format}`, {
      // A refusal comes back in the page's language, like the tRPC calls' (session.ts).
      headers: { authorization: `Bearer ${token}`, 'accept-language': currentLocale() },
    });

  let response: Response;
  try {
    response = await send(await accessToken(session, false));
    if (response.status === 401) response = await send(await accessToken(session, true));
  } catch (error) {
    if (error instanceof ExportError) throw error;
    throw new ExportError(messageFor(undefined, undefined));
  }
  if (!response.ok) throw new ExportError(await refusal(response));
  const fileName = fileNameOf(response.headers.get('content-disposition'), format, options.now);
  return { blob: await response.blob(), fileName };
}

/** Hands a file to the browser's downloads, under its name. */
export function saveFile({ blob, fileName }: ExportFile): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy once the click is handled; a moment later is safe.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

/**
 * The name the server gave the file (`attachment; filename="…"`), reduced to safe characters,
 * or `tessera-users-<date>.<format>` when it gave none.
 */
export function fileNameOf(disposition: string | null, format: ExportFormat, now = new Date()): string {
  const given = /filename="?([^";]+)"?/i.exec(disposition ?? '')?.[1]?.replace(/[^\w.-]/g, '_');
  return given && !given.startsWith('.')
    ? given
    : `tessera-users-${now.toISOString().slice(0, 10)}.${format}`;
}

async function accessToken(session: Pick<Session, 'accessToken' | 'refresh'>, fresh: boolean) {
  const held = fresh ? null : session.accessToken();
  if (held) return held;
  const token = (await session.refresh()) ? session.accessToken() : null;
  if (!token) throw new ExportError(i18n.t('export.sessionEnded'));
  return token;
}

/** The sentence for a refusal: REST errors carry `{ code, message }` in their body. */
async function refusal(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
  const code = typeof body.code === 'string' ? body.code : 'INTERNAL_SERVER_ERROR';
  return messageFor(code, typeof body.message === 'string' ? body.message : undefined);
}
