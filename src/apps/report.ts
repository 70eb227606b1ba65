/**
 * The notation of the classic reports (Python's CGI test page, SocketServer's examples) that the
 * `demo` and `tcp-echo` apps print: tuples for addresses, repr() for strings.
 */

export interface AddressLike {
  readonly address: string;
  readonly port: number;
}

/** `('127.0.0.1', 51090)`, as Python prints an address tuple. */
export function pyAddress(address: AddressLike): string {
  return `(${pyRepr(address.address)}, ${address.port})`;
}

/**
 * Python 3's repr() of a str: single quotes unless the text holds a single quote and no double
 * one; backslash escapes for the quote, backslash, \t \n \r and other unprintable characters.
 */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || (code >= 0x7f && code <= 0xa0) || code === 0xad) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}
