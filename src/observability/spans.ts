import { type Span, SpanStatusCode } from '@opentelemetry/api';

/** Runs `work` as the span's operation: a failure is recorded on the span, which ends either way. */
export async function endingSpan<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}
