/**
 * Minimal, strict BER reader/writer for the subset of ASN.1 that SNMP v1/v2c uses.
 *
 * The reader is fed untrusted datagrams, so every access is bounds-checked and every
 * failure is reported as SnmpDecodeError (never a RangeError from Buffer or similar).
 * The writer is only fed in-memory values, so it reports bad input with plain
 * TypeError/RangeError: those are programming errors, not wire errors.
 */

/** Raised for any malformed input; the message says what was wrong and where. */
export class SnmpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnmpDecodeError';
  }
}

/** Universal tags SNMP uses directly. */
export const Tag = { Integer: 0x02, OctetString: 0x04, Null: 0x05, OID: 0x06, Sequence: 0x30 } as const;

/** SNMP needs 4 levels (message, PDU, varbind list, varbind); anything much deeper is hostile. */
export const MAX_DEPTH = 8;
/** RFC 2578 limits OIDs to 128 sub-identifiers. */
export const MAX_OID_ARCS = 128;
const MAX_ARC = 0xffffffff;
/** First encoded subidentifier is 40*X+Y; with X=2, Y may itself be a full 32-bit arc. */
const MAX_FIRST_SUBID = 80 + MAX_ARC;
const TWO_POW_64 = 1n << 64n;

function hex(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/**
 * Reads TLVs from the window [pos, end) of a buffer. Offsets in error messages are
 * absolute offsets into the original datagram because child readers share the buffer.
 */
export class BerReader {
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    private readonly depth = 0,
  ) {
    this.pos = start;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peekTag(): number {
    if (this.pos >= this.end) throw new SnmpDecodeError(`unexpected end of data at offset ${this.pos}, expected a tag`);
    return this.buf[this.pos]!;
  }

  /** Throws unless the window has been fully consumed. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new SnmpDecodeError(`${this.end - this.pos} unexpected trailing byte(s) at offset ${this.pos} after ${what}`);
    }
  }

  /**
   * Consumes a tag (which must equal `tag`) and a definite length, checks the content
   * fits the window, and leaves pos at the first content octet. Returns the length.
   */
  header(tag: number, what: string): number {
    const got = this.peekTag();
    if (got !== tag) {
      throw new SnmpDecodeError(`expected ${what} (tag ${hex(tag)}) at offset ${this.pos}, got tag ${hex(got)}`);
    }
    this.pos++;
    return this.length();
  }

  private length(): number {
    const at = this.pos;
    if (at >= this.end) throw new SnmpDecodeError(`truncated length at offset ${at}`);
    const first = this.buf[at]!;
    let len: number;
    if (first < 0x80) {
      len = first;
      this.pos = at + 1;
    } else {
      const n = first & 0x7f;
      if (n === 0) throw new SnmpDecodeError(`indefinite length at offset ${at} is not allowed`);
      if (n > 4) throw new SnmpDecodeError(`length at offset ${at} has ${n} length octets (max 4)`);
      if (at + 1 + n > this.end) throw new SnmpDecodeError(`truncated length at offset ${at}`);
      len = 0;
      // Multiply rather than shift: 4 octets can exceed the int32 range of bitwise ops.
      for (let i = 1; i <= n; i++) len = len * 256 + this.buf[at + i]!;
      this.pos = at + 1 + n;
    }
    if (len > this.end - this.pos) {
      const where = this.end === this.buf.length ? 'the datagram (truncated?)' : 'the enclosing element';
      throw new SnmpDecodeError(`length ${len} at offset ${at} runs past the end of ${where}, ${this.end - this.pos} bytes left`);
    }
    return len;
  }

  /** Enters a constructed element; returns a reader over its contents and skips past it here. */
  enter(tag: number, what: string): BerReader {
    const at = this.pos;
    if (this.depth >= MAX_DEPTH) throw new SnmpDecodeError(`nesting deeper than ${MAX_DEPTH} levels at offset ${at}`);
    const len = this.header(tag, what);
    const child = new BerReader(this.buf, this.pos, this.pos + len, this.depth + 1);
    this.pos += len;
    return child;
  }

  /** Reads `len` content octets as a two's-complement integer; caller bounds len to <= 6. */
  private signedContent(len: number, what: string): number {
    const at = this.pos;
    if (len === 0) throw new SnmpDecodeError(`zero-length ${what} at offset ${at}`);
    const b = this.buf;
    // Sign-extend the first octet; the rest accumulate exactly (<= 48 bits total).
    let v = (b[at]! << 24) >> 24;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i]!;
    this.pos = at + len;
    return v;
  }

  /** Signed 32-bit INTEGER (or an application type with the same encoding). */
  readInt32(tag: number, what: string): number {
    const len = this.header(tag, what);
    if (len > 4) throw new SnmpDecodeError(`${what} at offset ${this.pos} is ${len} bytes (max 4)`);
    return this.signedContent(len, what);
  }

  /** Counter32/Gauge32/TimeTicks: 0..2^32-1, up to 5 octets (a leading 0x00 for values >= 2^31). */
  readUint32(tag: number, what: string): number {
    const len = this.header(tag, what);
    const at = this.pos;
    if (len > 5) throw new SnmpDecodeError(`${what} at offset ${at} is ${len} bytes (max 5)`);
    const v = this.signedContent(len, what);
    if (v < 0 || v > MAX_ARC) throw new SnmpDecodeError(`${what} at offset ${at} is out of range (${v})`);
    return v;
  }

  /** Counter64: 0..2^64-1, up to 9 octets. */
  readUint64(tag: number, what: string): bigint {
    const len = this.header(tag, what);
    const at = this.pos;
    if (len === 0) throw new SnmpDecodeError(`zero-length ${what} at offset ${at}`);
    if (len > 9) throw new SnmpDecodeError(`${what} at offset ${at} is ${len} bytes (max 9)`);
    const b = this.buf;
    if (b[at]! & 0x80) throw new SnmpDecodeError(`${what} at offset ${at} is negative`);
    let v = 0n;
    for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(b[at + i]!);
    if (v >= TWO_POW_64) throw new SnmpDecodeError(`${what} at offset ${at} is out of range`);
    this.pos = at + len;
    return v;
  }

  /**
   * Returns a copy of the content octets: decoded values (e.g. SET values stored in a
   * simulated MIB) must not alias a receive buffer the caller may reuse.
   */
  readOctets(tag: number, what: string): Buffer {
    const len = this.header(tag, what);
    const out = Buffer.allocUnsafe(len);
    out.set(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /** Returns the content octets' offset and consumes exactly `expected` of them. */
  readFixed(tag: number, expected: number, what: string): number {
    const len = this.header(tag, what);
    if (len !== expected) throw new SnmpDecodeError(`${what} at offset ${this.pos} has length ${len}, expected ${expected}`);
    const at = this.pos;
    this.pos += len;
    return at;
  }

  byteAt(offset: number): number {
    return this.buf[offset]!;
  }

  /** OBJECT IDENTIFIER as a dotted string without a leading dot. */
  readOid(tag: number, what: string): string {
    const len = this.header(tag, what);
    const start = this.pos;
    const end = start + len;
    if (len === 0) throw new SnmpDecodeError(`empty ${what} at offset ${start}`);
    const b = this.buf;
    let out = '';
    let arcs = 0;
    let i = start;
    while (i < end) {
      const subStart = i;
      if (b[i] === 0x80) throw new SnmpDecodeError(`non-minimal subidentifier in ${what} at offset ${i}`);
      const limit = arcs === 0 ? MAX_FIRST_SUBID : MAX_ARC;
      let v = 0;
      let octet: number;
      do {
        if (i >= end) throw new SnmpDecodeError(`truncated subidentifier in ${what} at offset ${subStart}`);
        octet = b[i++]!;
        v = v * 128 + (octet & 0x7f);
        // Checked per octet so v stays far inside the exact-integer range of a double.
        if (v > limit) throw new SnmpDecodeError(`subidentifier in ${what} at offset ${subStart} exceeds 2^32-1`);
      } while (octet & 0x80);
      if (arcs === 0) {
        // X.690 8.19.4: the first subidentifier packs arcs X (0..2) and Y as 40*X+Y.
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        out = x + '.' + (v - 40 * x);
        arcs = 2;
      } else {
        if (++arcs > MAX_OID_ARCS) throw new SnmpDecodeError(`${what} at offset ${start} has more than ${MAX_OID_ARCS} arcs`);
        out += '.' + v;
      }
    }
    this.pos = end;
    return out;
  }
}

/** Scratch space for parsed OID arcs; safe to share because encoding is synchronous. */
const arcScratch = new Float64Array(MAX_OID_ARCS);

/**
 * Parses a dotted OID string into arcScratch and returns the arc count.
 * Rejects empty strings, leading/trailing/double dots, leading zeros, non-digits,
 * arcs above 2^32-1, more than 128 arcs, and invalid first two arcs.
 */
function parseOid(oid: unknown): number {
  if (typeof oid !== 'string') throw new TypeError(`OID must be a string, got ${typeof oid}`);
  const n = oid.length;
  let count = 0;
  let i = 0;
  while (true) {
    const arcStart = i;
    let v = 0;
    while (i < n) {
      const c = oid.charCodeAt(i);
      if (c === 0x2e) break;
      if (c < 0x30 || c > 0x39) throw new RangeError(`invalid character in OID "${oid}"`);
      v = v * 10 + (c - 0x30);
      if (v > MAX_ARC) throw new RangeError(`OID arc exceeds 2^32-1 in "${oid}"`);
      i++;
    }
    const digits = i - arcStart;
    if (digits === 0) throw new RangeError(`empty arc in OID "${oid}"`);
    if (digits > 1 && oid.charCodeAt(arcStart) === 0x30) throw new RangeError(`arc with leading zero in OID "${oid}"`);
    if (count === MAX_OID_ARCS) throw new RangeError(`OID has more than ${MAX_OID_ARCS} arcs: "${oid}"`);
    arcScratch[count++] = v;
    if (i === n) break;
    i++; // skip '.'
  }
  if (count < 2) throw new RangeError(`OID needs at least two arcs: "${oid}"`);
  const x = arcScratch[0]!;
  if (x > 2 || (x < 2 && arcScratch[1]! >= 40)) throw new RangeError(`invalid first arcs in OID "${oid}"`);
  return count;
}

/**
 * Builds BER by writing backwards from the end of the buffer: children are written
 * first, so a constructed element's length is known when its header is prepended,
 * with no length-patching or content shifting. Callers therefore emit fields in
 * reverse order.
 *
 * ensure() may move the content to a larger buffer, which changes `pos` but not the
 * distance from the end: every remembered position is a mark() (bytes written so far),
 * never a `pos`, so a length is right whether or not the buffer grew in between.
 */
export class BerWriter {
  private buf: Buffer;
  private pos: number;

  constructor(private readonly initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.pos = initialSize;
  }

  /** Discards any content, e.g. left over from an encode that threw half-way. */
  reset(): void {
    // Don't let one huge message pin a huge buffer forever.
    if (this.buf.length > 64 * 1024) this.buf = Buffer.allocUnsafe(this.initialSize);
    this.pos = this.buf.length;
  }

  /** Bytes written so far; pass to wrap() to close a constructed element. */
  mark(): number {
    return this.buf.length - this.pos;
  }

  private ensure(n: number): void {
    if (this.pos >= n) return;
    const used = this.buf.length - this.pos;
    const size = Math.max(this.buf.length * 2, used + n + 64);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, size - used, this.pos);
    this.buf = next;
    this.pos = size - used;
  }

  private header(tag: number, len: number): void {
    this.ensure(6);
    const b = this.buf;
    if (len < 0x80) {
      b[--this.pos] = len;
    } else {
      let n = 0;
      for (let l = len; l > 0; l = Math.floor(l / 256)) {
        b[--this.pos] = l & 0xff;
        n++;
      }
      b[--this.pos] = 0x80 | n;
    }
    b[--this.pos] = tag;
  }

  /** Closes a constructed element whose contents were written since `mark`. */
  wrap(tag: number, mark: number): void {
    this.header(tag, this.mark() - mark);
  }

  writeOctets(tag: number, data: Uint8Array): void {
    this.ensure(data.length);
    this.pos -= data.length;
    this.buf.set(data, this.pos);
    this.header(tag, data.length);
  }

  /** Copies already-encoded TLVs verbatim. */
  writeRaw(data: Uint8Array): void {
    this.ensure(data.length);
    this.pos -= data.length;
    this.buf.set(data, this.pos);
  }

  writeNull(tag: number): void {
    this.header(tag, 0);
  }

  /** Two's-complement minimal encoding of an integer in [-2^31, 2^32-1] (range checked by caller). */
  writeInteger(tag: number, value: number): void {
    this.ensure(5);
    const b = this.buf;
    const start = this.mark();
    let x = value;
    let octet: number;
    // Emit low octets until the remaining value is pure sign extension of the last one.
    do {
      octet = x & 0xff; // ToInt32 keeps the low 8 bits even for values >= 2^31
      b[--this.pos] = octet;
      x = (x - octet) / 256;
    } while (!((x === 0 && octet < 0x80) || (x === -1 && octet >= 0x80)));
    this.header(tag, this.mark() - start);
  }

  writeUint64(tag: number, value: bigint): void {
    this.ensure(9);
    const b = this.buf;
    const start = this.mark();
    let x = value;
    let octet: number;
    do {
      octet = Number(x & 0xffn);
      b[--this.pos] = octet;
      x >>= 8n;
    } while (x !== 0n || octet >= 0x80);
    this.header(tag, this.mark() - start);
  }

  writeOid(tag: number, oid: unknown): void {
    const count = parseOid(oid);
    // Worst case 5 octets per subidentifier.
    this.ensure(count * 5);
    const start = this.mark();
    for (let k = count - 1; k >= 1; k--) {
      const v = k === 1 ? arcScratch[0]! * 40 + arcScratch[1]! : arcScratch[k]!;
      this.subid(v);
    }
    this.header(tag, this.mark() - start);
  }

  /** Base-128, most significant group first, continuation bit on all but the last octet. */
  private subid(v: number): void {
    const b = this.buf;
    b[--this.pos] = v % 128;
    v = Math.floor(v / 128);
    while (v > 0) {
      b[--this.pos] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
  }

  /** Returns a standalone copy so the writer's buffer can be reused by the next encode. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.buf.length - this.pos);
    this.buf.copy(out, 0, this.pos);
    return out;
  }
}
