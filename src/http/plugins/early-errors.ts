// Errors raised before a route runs, answered as problem+json with the security headers
// like every other answer: Node's HTTP parser refusing a request (oversize headers, bytes
// a header may not hold, an unknown method, a timeout) and the router refusing a URL
// (malformed percent-encoding, a path parameter past maxParamLength).
// What Node answers on its own, without asking the application, is listed in docs/SECURITY.md.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { problems, type ProblemError } from '../problems.js';
import type { SecurityHeaders } from './security-headers.js';

/** The parser's error codes (llhttp's HPE_*, Node's ERR_HTTP_*) → the problem to answer. */
function parserProblem(code: string | undefined): ProblemError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problems.invalidRequest('The request line and headers are larger than the server accepts (16 KiB).', 431);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problems.invalidRequest('The request was not received in time.', 408);
    case 'HPE_INVALID_METHOD':
      return problems.invalidRequest('The request method is not one this server knows.', 501);
    default:
      return problems.invalidRequest(
        'The request could not be parsed as HTTP/1.1 (malformed request line, header or body framing).',
      );
  }
}

/** The server's clientError hook: writes the answer on the raw socket, then closes it. */
export function clientErrorHandler(headers: SecurityHeaders) {
  const fixedHeaders = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return function onClientError(error: Error & { code?: string }, socket: Socket) {
    // A reset connection has no one left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // A response already under way on this connection (a pipelined request's) cannot be
    // followed by another status line: the connection is closed instead, as Node does.
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !inProgress?.headersSent) {
      const problem = parserProblem(error.code);
      const body = JSON.stringify(problem.toBody());
      socket.write(
        `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n${fixedHeaders}` +
          `content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/** Fastify's frameworkErrors: the router's refusals, through the usual reply. */
export function frameworkErrors(headers: SecurityHeaders) {
  return function onFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    const problem =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? problems.invalidRequest('A path parameter is longer than any this API accepts.', 414)
        : problems.invalidRequest('The URL is not valid (malformed percent-encoding).');
    return reply.code(problem.status).headers(headers).type('application/problem+json').send(problem.toBody());
  };
}
