import { describe, expect, it } from 'vitest';
import { childContext, currentContext, formatTraceparent, parseTraceparent, rootContext, runWithContext } from './call-context';
import { newEntityId } from './ids';

describe('traceparent', () => {
  it('parses a valid header and formats it back', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const parsed = parseTraceparent(header)!;
    expect(parsed).toEqual({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true });
    expect(formatTraceparent(parsed)).toBe(header);
  });

  it.each([
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['upper case', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['extra field on version 00', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'],
    ['short', '00-4bf92f-00f067aa0ba902b7-01'],
  ])('rejects %s', (_name, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('accepts extra fields from a later version', () => {
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more')?.sampled).toBe(false);
  });

  it('starts a new trace for a malformed header', () => {
    const c = rootContext({ traceparent: 'garbage' }, 1000);
    expect(c.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('call context', () => {
  it('is inherited by async work started inside it', async () => {
    const root = rootContext({ requestId: 'req_1' }, 1000);
    const seen = await runWithContext(root, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return currentContext()?.requestId;
    });
    expect(seen).toBe('req_1');
    expect(currentContext()).toBeUndefined();
  });

  it('gives a child the same trace, a new span and no later a deadline', () => {
    const root = rootContext({ timeoutMs: 1000, idempotencyKey: 'k' }, 5000);
    const child = childContext(root, { timeoutMs: 100 });
    expect(child.traceId).toBe(root.traceId);
    expect(child.spanId).not.toBe(root.spanId);
    expect(child.deadline).toBeLessThanOrEqual(root.deadline);
    expect(child.deadline - Date.now()).toBeLessThanOrEqual(100);
    expect(child.idempotencyKey).toBe('k');
    expect(childContext(root, { timeoutMs: 60_000 }).deadline).toBe(root.deadline);
  });
});

describe('newEntityId', () => {
  it('makes prefixed, base-62, unique ids', () => {
    const ids = Array.from({ length: 5000 }, () => newEntityId('acc'));
    for (const id of ids.slice(0, 50)) expect(id).toMatch(/^acc_[0-9A-Za-z]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
