/**
 * Fixed-point formatting that rounds exactly like C's printf `%.{digits}f`
 * (and so Python's `%f`): the exact binary value is rounded, and a value
 * exactly halfway between two outputs goes to the even one. JavaScript's
 * `toFixed` agrees except on those exact ties, where it rounds up; the
 * reference CSVs were written by Python, so ties must follow printf.
 */
export function formatFixed(value: number, digits = 6): string {
  const text = value.toFixed(digits);
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return text;
  const tie = exactTieFloor(value, digits);
  if (tie === undefined) return text;
  const magnitude = tie % 2n === 0n ? tie : tie + 1n;
  return withDecimalPoint(magnitude, digits, value < 0);
}

/**
 * When |value| × 10^digits lies exactly halfway between two integers, returns
 * the lower one; otherwise undefined.
 */
function exactTieFloor(value: number, digits: number): bigint | undefined {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  if (exponent >= 0 || mantissa === 0n) return undefined;
  const scaled = mantissa * 10n ** BigInt(digits);
  const shift = BigInt(-exponent);
  const remainder = scaled & ((1n << shift) - 1n);
  return remainder === 1n << (shift - 1n) ? scaled >> shift : undefined;
}

function withDecimalPoint(magnitude: bigint, digits: number, negative: boolean): string {
  const raw = magnitude.toString().padStart(digits + 1, '0');
  const whole = raw.slice(0, raw.length - digits);
  const decimals = raw.slice(raw.length - digits);
  return `${negative ? '-' : ''}${whole}${digits > 0 ? `.${decimals}` : ''}`;
}
