import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** Stable error codes of the control API. */
export const ControlErrorCode = {
  deviceNotFound: 'DEVICE_NOT_FOUND',
  unknownAlarm: 'UNKNOWN_ALARM',
  unknownReading: 'UNKNOWN_READING',
  invalidReading: 'INVALID_READING',
  invalidBody: 'INVALID_BODY',
  invalidChange: 'INVALID_CHANGE',
  notARecording: 'NOT_A_RECORDING',
  noNotification: 'NO_NOTIFICATION',
  notFound: 'NOT_FOUND',
  internal: 'INTERNAL',
} as const;

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).send({ error: { code, message } });
}

/** The first few problems zod found, each with the path it found it at. */
export function bodyProblems(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}
