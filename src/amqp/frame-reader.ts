// Incremental frame reader: feed it socket chunks of any split; it hands every complete frame to the sink in
// one synchronous pass, as a slice of the chunk (no copy unless a frame spans chunks).
import { ConnectionError, ReplyCode } from './errors.js';
import { frameText } from './erl-format.js';
import { FRAME_END } from './writer.js';

export interface FrameSink {
  /** A frame's payload is buf[start, end). */
  onFrame(type: number, channel: number, buf: Buffer, start: number, end: number): void;
}

export class FrameReader {
  private rest: Buffer | null = null;
  /** Largest accepted frame, header and end byte included; 0 means no limit beyond the pre-tune minimum. */
  frameMax = 4096;

  constructor(private readonly sink: FrameSink) {}

  /** Set by the sink to stop handing out frames (backpressure); the rest waits for resume(). */
  paused = false;

  /** Parses what it can; keeps the unfinished tail, and everything after a pause. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) { buf = chunk.length ? Buffer.concat([this.rest, chunk]) : this.rest; this.rest = null; }
    let pos = 0;
    const len = buf.length;
    while (len - pos >= 7 && !this.paused) {
      const type = buf[pos]!;
      const channel = buf.readUInt16BE(pos + 1);
      const size = buf.readUInt32BE(pos + 3);
      // As rabbit_reader (3.10.8, checked): a payload up to frame_max itself passes, 8 octets of "fudge" for
      // clients that count frame_max as the payload size; the error still names frame_max - 8.
      if (size > this.frameMax) {
        throw new ConnectionError(ReplyCode.FrameError,
          frameText(type, Buffer.alloc(0), ['frame_too_large', size, this.frameMax - 8]), 0);
      }
      if (len - pos < size + 8) break;
      if (buf[pos + 7 + size] !== FRAME_END) {
        throw new ConnectionError(ReplyCode.FrameError,
          frameText(type, buf.subarray(pos + 7, pos + 7 + size), ['invalid_frame_end_marker', buf[pos + 7 + size]!]), 0);
      }
      const start = pos + 7;
      pos = start + size + 1;
      this.sink.onFrame(type, channel, buf, start, start + size);
    }
    if (pos < len) this.rest = pos === 0 ? buf : buf.subarray(pos);
  }

  /** Continues with the frames held back by a pause. */
  resume(): void {
    this.paused = false;
    if (this.rest) this.push(Buffer.alloc(0));
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number { return this.rest ? this.rest.length : 0; }
}
