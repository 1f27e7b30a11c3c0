import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs, one line per event. Personal data and tokens are redacted by key wherever they
 * appear, so a careless log call cannot leak them.
 */
export function createLogger(name: string, level = process.env.HUTONG_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.holderName', '*.holderCode', '*.authorization', '*.headers.authorization', '*.token'],
      censor: '[redacted]',
    },
  });
}
